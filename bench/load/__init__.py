"""The load test against gunicorn (#9): see run.py."""
