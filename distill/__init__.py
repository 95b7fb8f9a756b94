"""Distillation of BERT-family sentence encoders, and the offline model resolver they share."""
