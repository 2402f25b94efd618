"""Evaluation: gold loading, matching and the metrics of RECORD.md ("Scoring")."""

from cyberops.eval.gold import GoldDocument, load_gold
from cyberops.eval.report import render_errors, render_table
from cyberops.eval.results import EvalReport
from cyberops.eval.runner import evaluate, scores_from_records

__all__ = [
    "EvalReport",
    "GoldDocument",
    "evaluate",
    "load_gold",
    "render_errors",
    "render_table",
    "scores_from_records",
]
