"""Hidden graders and the grading engine of the mini-batch gradient descent lab.

Importing this package loads nothing heavy: the worker imports parts of it and must never load
the reference solution or the graders.
"""
