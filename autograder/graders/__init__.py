"""Hidden graders: one pytest file per part, each test one weighted check.

They run in the grader process only (see `autograder.judge`) and read the plain data the
worker's probes returned; the student's objects never reach them.
"""
