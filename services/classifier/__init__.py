"""The EmotionClassifier service: an ONNX model artifact served over gRPC with dynamic batching."""
