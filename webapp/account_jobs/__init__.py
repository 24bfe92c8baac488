"""The jobs on a population's accounts — notify, reset, list, reprint — each a kind of job (webapp/jobs/kind.py)."""
