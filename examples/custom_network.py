"""Build a small network in Python and print its table, the way a notebook user would.

Run it with ``python examples/custom_network.py``.
"""

import convcalc as cc

net = cc.Sequential({
    "features": cc.Sequential(
        cc.Conv2d(3, 32, 3, padding=1), cc.BatchNorm2d(32), cc.ReLU(inplace=True), cc.MaxPool2d(2),
        cc.Residual(cc.Sequential(cc.Conv2d(32, 32, 3, padding=1), cc.ReLU(), cc.Conv2d(32, 32, 3, padding=1))),
        cc.SeparableConv2d(32, 64, 3, padding=1), cc.ReLU(inplace=True),
        cc.GlobalAvgPool2d(),
    ),
    "flatten": cc.Flatten(),
    "head": cc.Linear(64, 10),
})

report = cc.summary(net, input_shape=(3, 32, 32), batch=1)
print(report)
print(f"\n{report.totals.params:,} parameters, {report.totals.macs:,} MACs")
