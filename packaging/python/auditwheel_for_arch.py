"""auditwheel for a wheel of another machine: `python auditwheel_for_arch.py ARCH ARGS...`
runs `auditwheel ARGS...` as if on an ARCH machine.

auditwheel offers as `--plat` choices only the policies of the machine it
runs on (it reads platform.machine()), so on x86_64 it refuses
`--plat manylinux_2_17_aarch64` before looking at the wheel, although its
analysis and repair work from the wheel's own architecture. With ARCH the
host's machine this is plain auditwheel. Run by the Python of auditwheel's
virtual environment.
"""

import platform
import sys

arch = sys.argv.pop(1)
platform.machine = lambda: arch

from auditwheel.main import main  # noqa: E402 (after the machine is set)

sys.argv[0] = "auditwheel"
sys.exit(main())
