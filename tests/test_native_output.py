"""Held-back C++ output: the Jupyter-side noise filter."""

import os

from workshop_utils.core.native_output import _forward_without_noise


def test_noise_filter_drops_only_the_known_cpp_lines():
    """The Jupyter-side filter forwards every line except the converter's and XNNPACK's per-call chatter."""
    source_read, source_write = os.pipe()
    sink_read, sink_write = os.pipe()
    os.write(source_write, b"fully_quantize: 0, inference_type: 6, input_inference_type: INT8\n"
                           b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
                           b"a real error the learner must see\nno newline at the end")
    os.close(source_write)
    _forward_without_noise(source_read, sink_write)
    os.close(sink_write)
    assert os.read(sink_read, 65536) == b"a real error the learner must see\nno newline at the end"
