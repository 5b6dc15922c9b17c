"""The MRZ core and the age decision are pure standard library: they import without cv2 or numpy."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('cv2', 'numpy', 'PIL'):
            raise ImportError('blocked ' + name)
sys.meta_path.insert(0, Block())
import idcheck.checkdigit, idcheck.mrz.parse, idcheck.mrz.repair, idcheck.mrz.generate, idcheck.age, idcheck.check
r = idcheck.check.verify_mrz("I<UTOD231458907<<<<<<<<<<<<<<<\\n7408122F1204159UTO<<<<<<<<<<<6\\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
print(r.decision.value, sorted(m for m in sys.modules if m.split('.')[0] in ('cv2', 'numpy')))
"""


def test_core_imports_without_cv2_or_numpy() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["reject", "[]"]


def test_public_surface() -> None:
    import idcheck

    for name in idcheck.__all__:
        assert hasattr(idcheck, name), name
