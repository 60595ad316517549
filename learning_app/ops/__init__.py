"""Operations: backups and restores (``flask backup``, ``flask restore``) and the
health check behind ``/api/ping``."""
