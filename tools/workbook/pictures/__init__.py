"""Pictures for the lessons, drawn offline with matplotlib from the data of a lesson's run.

Each module draws one picture and returns a matplotlib Figure, which a lesson cell shows
inline (a PNG, so it reads the same in JupyterLab and in GitHub's notebook view):

- `storage`: workspace, DVC cache, DVC remote and git, with the files of a real project;
- `experiments`: an experiment grid's scores, from `dvc exp show --json`;
- `flow`: data registry -> project -> CI runner -> pull-request comment.
"""
