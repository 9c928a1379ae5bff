"""The course's iris pipeline: pure functions the stage notebooks and lessons call.

Submodules import their heavy dependencies themselves, so `import iris_pipeline`
stays cheap for tools (papermill loads the engine module at start-up).
"""

__version__ = "1.0.0"
