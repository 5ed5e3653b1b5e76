from . import bench_tools  # noqa: F401
