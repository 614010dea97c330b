"""The torch bridge: the only part of convcalc that imports torch.

Nothing imports this package at start-up; ``cc.to_torch``, ``cc.verify`` and
``cc.from_torch`` import it when first called.
"""
