"""归途 matching engine: who could this person be?

A plain Python package (no Django imports) that normalises person records from
files, police missing-person reports and the at-risk registry, links them with a
probabilistic Splink model and proposes candidate pairs for human review.
Rules served: I4 (first identification at intake), I6, T7, T8, S4, A3.
"""

__version__ = "0.1.0"
