import numpy as np

import lrcore


def test_cosine_restart_on_every_backend(backend):
    s = lrcore.cosine_restart(peak_value=1.0, first_period=10, period_mul=2.0)
    got = backend.evaluate(s, np.arange(40).reshape(4, 10))
    # Restarts at 0, 10 and 30 land exactly on the peak.
    assert got[0, 0] == 1.0 and got[1, 0] == 1.0 and got[3, 0] == 1.0
