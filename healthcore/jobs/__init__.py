"""Whole jobs, each what one command does from start to end (read, score, write, record,
deliver), as Python functions: the CLI parses options, calls one, and renders what it
returns."""

from healthcore.jobs.evaluate import (Accounts, EvaluateRun, Interrupted, Outputs, Progress,
                                      Written, evaluate)

__all__ = ["Accounts", "EvaluateRun", "Interrupted", "Outputs", "Progress", "Written", "evaluate"]
