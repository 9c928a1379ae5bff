"""The course's iris pipeline: what the five stage notebooks in `stages/` call.

- `config`: `params.yaml`, read and checked as a whole (`load_params`);
- `dataset`, `features`, `train`, `evaluate`, `plots`: pure functions, data in and data out;
- `io`: reading and writing the files between stages (clear errors, atomic writes);
- `logs`: the one logger setup.
"""

__version__ = "1.0.0"
