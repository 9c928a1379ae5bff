"""The course's iris pipeline: code the notebook imports instead of defining it in a cell.

- `plots`: the confusion matrix as a picture (`plot_confusion_matrix`).

Step 4 moves the rest of the prototype's logic here, one module per phase.
"""
