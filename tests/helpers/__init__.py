"""Helpers shared by the tests (and benchmarks/load.py, benchmarks/intervals.py):

    app        run the app in a subprocess as a user does; the tiny job's overrides
    sweeps     launch real sweeps and check what they leave behind
    synthetic  synthetic run directories written per docs/run-directory.md
    resampling a plain reference for the two-level bootstrap
"""
