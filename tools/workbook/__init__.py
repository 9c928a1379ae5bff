"""The course's machinery: what the lessons, the tests and CI use, apart from the pipeline.

- `workbook.lesson`: a lesson's workspace and what its collapsed checks read;
- `workbook.workspace`: scratch folders where lessons and tests run git and DVC;
- `workbook.run_lessons`: `make lessons`, run the lesson notebooks and store their outputs;
- `workbook.lesson_measures`: a lesson's study time and what its visible cells hold;
- `workbook.exercises`: the one-line check after an exercise;
- `workbook.dvc_plots`: DVC's plots shown in a notebook, offline.
"""
