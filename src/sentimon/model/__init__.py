"""The model runtime: artifact loading, tokenizing and ONNX inference. Knows nothing of HTTP."""
