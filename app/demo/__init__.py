"""The bundled demo workload (``sovprof record --demo``)."""
