"""The vocabulary of inclusive purchasing that every service shares and none owns: kinds of
structures and their families, kinds of service, reserved contracts and the articles they cite,
size bands, the search index's contract (fields, limits, coverage tokens) and the public search
schema. It imports no service, so that any of them may import it."""
