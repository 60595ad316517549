"""我的学习: a member's own credit hours, mobile first."""
