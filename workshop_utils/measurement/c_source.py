"""A .tflite model as C: the array a microcontroller program compiles into flash, and its header.

TFLite Micro reads the flatbuffer in place, so the array is ``const`` (it stays in flash, not copied to
RAM) and 16-byte aligned. ``alignas`` exists only from C11 and C++11, so the alignment is a macro that
picks ``alignas``/``_Alignas`` where the language has it and GCC/Clang's ``__attribute__((aligned))``
otherwise: the files compile as C99, C11 and C++11. Comments are ``/* */`` for old C compilers.
"""

from __future__ import annotations

import re
from pathlib import Path

from .interpreter import as_blob

_C_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ALIGN_MACRO = "TFLM_MODEL_ALIGN16"
_ALIGN_PRELUDE = f"""#ifndef {ALIGN_MACRO}
#if defined(__cplusplus) && __cplusplus >= 201103L
#define {ALIGN_MACRO} alignas(16)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define {ALIGN_MACRO} _Alignas(16)
#elif defined(__GNUC__) || defined(__clang__)
#define {ALIGN_MACRO} __attribute__((aligned(16)))
#else
#define {ALIGN_MACRO} /* unknown compiler: align the array to 16 bytes with its own syntax */
#endif
#endif
"""


def _check_name(name: str) -> None:
    if not _C_NAME.match(name):
        raise ValueError(f"{name!r} is not a C identifier; use letters, digits and underscores, e.g. 'g_model'.")


def c_array(model: bytes | str | Path, name: str = "g_model", bytes_per_line: int = 12,
            header: str | None = None) -> str:
    """The model as C source: the bytes laid out as ``xxd -i`` writes them, 16-byte aligned, ``<name>_len``.

    Without ``header`` the source stands alone (it declares the two names itself, so they have external
    linkage in C++ too); with ``header="model_data.h"`` it includes that header (:func:`c_header`) instead.
    """
    blob = as_blob(model)
    _check_name(name)
    lines = [
        "  " + ", ".join(f"0x{byte:02x}" for byte in blob[start : start + bytes_per_line])
        for start in range(0, len(blob), bytes_per_line)
    ]
    declarations = (f'#include "{header}"\n' if header else
                    f"extern const unsigned char {name}[];\nextern const unsigned int {name}_len;\n")
    return (
        f"/* {len(blob)} bytes of TFLite flatbuffer, laid out as `xxd -i` writes them; 16-byte aligned for "
        "TFLite Micro. Compiles as C99, C11 and C++11. */\n"
        + declarations + _ALIGN_PRELUDE
        + f"{ALIGN_MACRO} const unsigned char {name}[] = {{\n" + ",\n".join(lines) + "\n};\n"
        + f"const unsigned int {name}_len = {len(blob)};\n"
    )


def c_header(name: str = "g_model", guard: str = "MODEL_DATA_H_", arena_bytes: int | None = None,
             description: str = "") -> str:
    """The header declaring ``<name>[]`` and ``<name>_len`` (C and C++, include guard, ``extern "C"``).

    ``arena_bytes`` adds ``<NAME>_ARENA_BYTES``, the tensor arena TFLite Micro needed on the host build.
    """
    _check_name(name)
    _check_name(guard)
    arena = "" if arena_bytes is None else (
        "/* Tensor arena TFLite Micro needed on the host (reference kernels); the target's kernels may\n"
        "   need a little more: allocate it with a margin. */\n"
        f"#define {name.upper()}_ARENA_BYTES {int(arena_bytes)}\n\n"
    )
    about = f"/* {description} */\n" if description else ""
    return (
        f"{about}#ifndef {guard}\n#define {guard}\n\n{arena}"
        "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
        f"extern const unsigned char {name}[];  /* the .tflite flatbuffer, 16-byte aligned */\n"
        f"extern const unsigned int {name}_len;  /* its length in bytes */\n\n"
        "#ifdef __cplusplus\n}\n#endif\n\n"
        f"#endif /* {guard} */\n"
    )


def parse_c_array(source: str) -> bytes:
    """The bytes inside a C array written by :func:`c_array` or ``xxd -i`` (checked against ``_len``)."""
    body = re.search(r"\[\]\s*=\s*\{(.*?)\}", source, flags=re.S)
    if body is None:
        raise ValueError("No `name[] = { ... }` array found in the C source.")
    data = bytes(int(token, 16) for token in re.findall(r"0x([0-9a-fA-F]{2})", body.group(1)))
    length = re.search(r"_len\s*=\s*(\d+)", source)
    if length is not None and int(length.group(1)) != len(data):
        raise ValueError(f"The array holds {len(data)} bytes but its _len says {length.group(1)}.")
    return data
