"""The course's machinery: what the lessons, the tests and CI use apart from the pipeline, one
module per idea (MAINTAINING.md says which does what)."""
