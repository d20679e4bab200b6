"""Triage engine (智能研判): proposes category, grades, units, legal basis and repeats for a matter.

The engine proposes and a person decides; every proposal carries the reasons behind it. The pure
functions in `engine`, `signals`, `classify`, `grading`, `routing`, `repeats` and `legal` work from a
`TriageConfig` and need no database, so they can be tested and benched alone.
"""
