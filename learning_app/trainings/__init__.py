"""Offline training (集中轮训, 党课, 主题党日): sessions, attendance lists, their credit."""
