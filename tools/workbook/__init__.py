"""The course's machinery: what the lessons, the tests and CI use, apart from the pipeline.

- `workbook.workspace`: scratch folders where lessons and tests run git and DVC;
- `workbook.run_lessons`: `make lessons`, run the lesson notebooks and store their outputs;
- `workbook.pr_report`: the Markdown report CML posts on a pull request;
- `workbook.dvc_plots`: DVC's plots shown in a notebook, offline.
"""
