"""Distillation of BERT-family sentence encoders into smaller, faster students."""
