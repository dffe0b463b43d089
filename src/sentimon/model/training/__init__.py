"""`sentimon train`: data loading, the BiLSTM, the training loop, ONNX export and the model card.

Only ``command`` is imported by the CLI, and it imports PyTorch lazily, so the
CLI works without the ``train`` extra installed.
"""
