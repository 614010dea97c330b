"""Every layer type against a hand derivation, and every bad configuration against a clear error.

Each expected number is worked out in the comment beside it from the
conventions table in DESIGN.md (the formulas of seeds 002 and 003).
"""

from __future__ import annotations

import pytest

import convcalc as cc
from convcalc.layers import LAYER_TYPES

# (id, layer, input, output, weights, biases, MACs, FLOPs)
CASES = [
    # 64·3·3² = 1,728 weights; MACs 64·224²·(3·3²) = 64·50,176·27 = 86,704,128
    ("conv-vgg-first", cc.Conv2d(3, 64, 3, padding=1), (3, 224, 224), (64, 224, 224), 1_728, 64, 86_704_128, 173_408_256),
    # groups 2: each output sees 4/2 = 2 channels; ⌊(5−3)/1⌋+1 = 3; weights 8·2·9 = 144; MACs 8·3²·2·9 = 1,296
    ("conv-grouped", cc.Conv2d(4, 8, 3, groups=2), (4, 5, 5), (8, 3, 3), 144, 8, 1_296, 2_592),
    # dilation 2 spans 2·(3−1)+1 = 5: ⌊(7−5)/1⌋+1 = 3; MACs 3²·9 = 81
    ("conv-dilated", cc.Conv2d(1, 1, 3, dilation=2), (1, 7, 7), (1, 3, 3), 9, 1, 81, 162),
    # ⌊(9−3)/2⌋+1 = 4; weights 4·2·3 = 24; MACs 4·4·(2·3) = 96
    ("conv1d", cc.Conv1d(2, 4, 3, stride=2), (2, 9), (4, 4), 24, 4, 96, 192),
    # 4−3+1 = 2 per dim; weights 2·1·27 = 54; MACs 2·2³·27 = 432
    ("conv3d", cc.Conv3d(1, 2, 3), (1, 4, 4, 4), (2, 2, 2, 2), 54, 2, 432, 864),
    # 'same' keeps 6; 4² = 16 weights; MACs 6²·16 = 576
    ("conv-same-even", cc.Conv2d(1, 1, 4, padding="same"), (1, 6, 6), (1, 6, 6), 16, 1, 576, 1_152),
    # (7−1)·2 − 2·1 + (3−1) + 1 + 1 = 14; weights Cin·Cout·k² = 16·8·9 = 1,152; MACs Cin·ΠI·Cout·Πk = 16·49·8·9
    ("convtranspose", cc.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), (16, 7, 7), (8, 14, 14),
     1_152, 8, 56_448, 112_896),
    # 32 channels × multiplier 2 = 64 outputs; ⌊(16+2−3)/2⌋+1 = 8; weights 64·9 = 576; MACs 64·8²·9 = 36,864
    ("depthwise", cc.DepthwiseConv2d(32, 3, stride=2, padding=1, multiplier=2), (32, 16, 16), (64, 8, 8),
     576, 64, 36_864, 73_728),
    # ⌈(6−3)/2⌉+1 = 3 (the last window starts at 4 < 6, kept); comparisons 3²·(3²−1) = 72
    ("maxpool-ceil", cc.MaxPool2d(3, 2, ceil_mode=True), (1, 6, 6), (1, 3, 3), 0, 0, 0, 72),
    # ⌊(6−3)/2⌋+1 = 2; comparisons 2²·8 = 32
    ("maxpool-floor", cc.MaxPool2d(3, 2), (1, 6, 6), (1, 2, 2), 0, 0, 0, 32),
    # ⌊(5−2)/2⌋+1 = 2; avg: 3·2²·2² = 48
    ("avgpool", cc.AvgPool2d(2), (3, 5, 5), (3, 2, 2), 0, 0, 0, 48),
    # ⌊(8+2·1−3)/2⌋+1 = 4 per dim; avg: 2·4²·3² = 288
    ("avgpool-padded", cc.AvgPool2d(3, 2, padding=1), (2, 8, 8), (2, 4, 4), 0, 0, 0, 288),
    # 13 → 6: windows [⌊13i/6⌋, ⌈13(i+1)/6⌉) = [0,3) [2,5) [4,7) [6,9) [8,11) [10,13): 6 windows of 3,
    # so 18 reads per dim; FLOPs 256·18·18 = 82,944
    ("adaptive-avg-13-to-6", cc.AdaptiveAvgPool2d(6), (256, 13, 13), (256, 6, 6), 0, 0, 0, 82_944),
    # max over the same windows: 256·(18·18 − 36) = 73,728 comparisons
    ("adaptive-max-13-to-6", cc.AdaptiveMaxPool2d((6, 6)), (256, 13, 13), (256, 6, 6), 0, 0, 0, 73_728),
    # 512·7·7 = 25,088 additions (with the division)
    ("global-avg", cc.GlobalAvgPool2d(), (512, 7, 7), (512, 1, 1), 0, 0, 0, 25_088),
    # seed 000: 200·256 = 51,200 weights and products
    ("linear", cc.Linear(256, 200), (256,), (200,), 51_200, 200, 51_200, 102_400),
    # torch applies Linear to the last dim: 3·5 positions × 8·4 = 480 MACs
    ("linear-nd", cc.Linear(8, 4), (3, 5, 8), (3, 5, 4), 32, 4, 480, 960),
    # γ and β: 64 + 64; 2 FLOPs per element: 2·64·8·8 = 8,192
    ("batchnorm2d", cc.BatchNorm2d(64), (64, 8, 8), (64, 8, 8), 64, 64, 0, 8_192),
    ("batchnorm1d", cc.BatchNorm1d(10), (10,), (10,), 10, 10, 0, 20),
    # (size+5) per element: 10·96·55·55 = 2,904,000
    ("lrn", cc.LocalResponseNorm(5), (96, 55, 55), (96, 55, 55), 0, 0, 0, 2_904_000),
    ("relu", cc.ReLU(), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("leakyrelu", cc.LeakyReLU(0.2), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("sigmoid", cc.Sigmoid(), (10,), (10,), 0, 0, 0, 10),
    ("tanh", cc.Tanh(), (3, 3), (3, 3), 0, 0, 0, 9),
    ("softmax", cc.Softmax(dim=1), (1000,), (1000,), 0, 0, 0, 1_000),
    ("dropout", cc.Dropout(0.5), (4096,), (4096,), 0, 0, 0, 0),
    # 64·2·2 = 256
    ("flatten", cc.Flatten(), (64, 2, 2), (256,), 0, 0, 0, 0),
    ("flatten-spatial", cc.Flatten(2), (64, 2, 3), (64, 6), 0, 0, 0, 0),
    ("relu6", cc.ReLU6(inplace=True), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("hardsigmoid", cc.Hardsigmoid(), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("hardswish", cc.Hardswish(), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("silu", cc.SiLU(), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("gelu", cc.GELU(), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    # γ, β over the last dim of 8: 8 + 8; 5 FLOPs per element: 5·5·5·8 = 1,000
    ("layernorm", cc.LayerNorm(8), (5, 5, 8), (5, 5, 8), 8, 8, 0, 1_000),
    # over the 8 channels of 8×4×4: 8 + 8; 5·128 = 640
    ("layernorm2d", cc.LayerNorm2d(8), (8, 4, 4), (8, 4, 4), 8, 8, 0, 640),
    ("identity", cc.Identity(), (3, 4), (3, 4), 0, 0, 0, 0),
    # GroupNorm and InstanceNorm compute their statistics per sample, as LayerNorm: 5 per element with γ, β, 4 without.
    # γ, β one per channel: 32 + 32; 5·32·8·8 = 10,240
    ("groupnorm", cc.GroupNorm(4, 32), (32, 8, 8), (32, 8, 8), 32, 32, 0, 10_240),
    # affine=False: no parameters; 4·8·4·4 = 512
    ("instancenorm2d", cc.InstanceNorm2d(8), (8, 4, 4), (8, 4, 4), 0, 0, 0, 512),
    # affine: 6 + 6; 5·6·10 = 300
    ("instancenorm1d", cc.InstanceNorm1d(6, affine=True), (6, 10), (6, 10), 6, 6, 0, 300),
    # running statistics used at inference, as BatchNorm: 2 per element, 2·2·3·4·4 = 192; no γ, β
    ("instancenorm3d", cc.InstanceNorm3d(2, track_running_stats=True), (2, 3, 4, 4), (2, 3, 4, 4), 0, 0, 0, 192),
    # one slope per channel: 8 weights; 1 per element: 8·3·3 = 72
    ("prelu", cc.PReLU(8), (8, 3, 3), (8, 3, 3), 8, 0, 0, 72),
    ("elu", cc.ELU(0.5), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("selu", cc.SELU(inplace=True), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("celu", cc.CELU(2.0), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("mish", cc.Mish(), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("softplus", cc.Softplus(beta=2), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("hardtanh", cc.Hardtanh(-2.0, 2.0), (4, 2, 2), (4, 2, 2), 0, 0, 0, 16),
    ("logsoftmax", cc.LogSoftmax(dim=1), (1000,), (1000,), 0, 0, 0, 1_000),
    # dropouts are the identity at inference
    ("dropout1d", cc.Dropout1d(0.1), (4, 9), (4, 9), 0, 0, 0, 0),
    ("dropout2d", cc.Dropout2d(), (4, 3, 3), (4, 3, 3), 0, 0, 0, 0),
    ("dropout3d", cc.Dropout3d(0.2), (2, 3, 3, 3), (2, 3, 3, 3), 0, 0, 0, 0),
    ("alphadropout", cc.AlphaDropout(0.1), (64,), (64,), 0, 0, 0, 0),
    # torch dims (N, C, H, W) → (N, H, W, C)
    ("permute", cc.Permute((0, 2, 3, 1)), (8, 4, 5), (4, 5, 8), 0, 0, 0, 0),
    ("channelshuffle", cc.ChannelShuffle(2), (4, 3, 3), (4, 3, 3), 0, 0, 0, 0),
    # torch.chunk(5 channels, 2) gives pieces of ⌈5/2⌉ = 3 and 2: the second is channels 3…4
    ("chunk", cc.Chunk(2, 1), (5, 3, 3), (2, 3, 3), 0, 0, 0, 0),
    ("stochasticdepth", cc.StochasticDepth(0.1), (8, 2, 2), (8, 2, 2), 0, 0, 0, 0),
    # one γ per channel: 8 parameters; 8·2·2 = 32 multiplications
    ("layerscale", cc.LayerScale(8), (8, 2, 2), (8, 2, 2), 8, 0, 0, 32),
    # seed 000's x.view(-1, 256): 64·2·2 = 256 per sample
    ("reshape", cc.Reshape((-1,)), (64, 2, 2), (256,), 0, 0, 0, 0),
    # Swin's window attention on 6×6 tokens of C = 8, 2 heads, window 4 shifted by 2: padded to 8×8, so nW = 2·2 = 4
    # windows of N = 16 tokens (the shift stays: 4 < 8). Weights qkv 8·24 + proj 8·8 + table (2·4−1)²·2 = 192 + 64 + 98
    # = 354; biases 24 + 8. MACs nW·(N·C·3C + N·N·C + N·N·C + N·C·C) = 4·(3,072 + 2,048 + 2,048 + 1,024) = 32,768.
    # FLOPs 2·32,768 + q·scale 4·16·8 = 512 + bias, mask and softmax 3·(4·2·16·16 = 2,048) = 72,192
    ("shiftedwindowattention", cc.ShiftedWindowAttention(8, 4, 2, 2), (6, 6, 8), (6, 6, 8), 354, 32, 32_768, 72_192),
    # Swin's patch merging on 5×6×4: padded to 6×6, 2×2 neighbours → 3×3×16, LayerNorm(16): 16 + 16; Linear(16, 8) no
    # bias: 128 weights, 9·16·8 = 1,152 MACs; FLOPs 2·1,152 + 5·(3·3·16) = 2,304 + 720 = 3,024
    ("patchmerging", cc.PatchMerging(4), (5, 6, 4), (3, 3, 8), 144, 16, 1_152, 3_024),
    # MaxViT's attention on 3 partitions of P = 4 tokens of D = 8, heads of 4 (2 heads), table (2·√4−1)²·2 = 18: weights
    # 8·24 + 8·8 + 18 = 274, biases 24 + 8 = 32; MACs G·(P·D·3D + P·P·D + P·P·D + P·D·D) = 3·(768 + 128 + 128 + 256)
    # = 3,840; FLOPs 2·3,840 + k·scale 3·4·8 = 96 + bias 3·2·4·4 = 96 + softmax 96 = 7,968
    ("relativepositionalmultiheadattention", cc.RelativePositionalMultiHeadAttention(8, 4, 4), (3, 4, 8), (3, 4, 8),
     274, 32, 3_840, 7_968),
    # MaxViT's partitions: 3×4×6 in 2×2 windows: (4/2·6/2) = 6 partitions of 4 tokens of 3 channels; and back
    ("windowpartition", cc.WindowPartition(2), (3, 4, 6), (6, 4, 3), 0, 0, 0, 0),
    ("windowdepartition", cc.WindowDepartition(2, 2, 3), (6, 4, 3), (3, 4, 6), 0, 0, 0, 0),
    # torch.swapaxes(x, -2, -3) on N×6×4×3: the two dims before the last trade places
    ("swapaxes", cc.SwapAxes(-2, -3), (6, 4, 3), (4, 6, 3), 0, 0, 0, 0),
    # d2l.ai's lazy layers: the eager layer with the first size from the input.
    # Cin = 1 from the input: ⌊(28+2·2−5)/1⌋+1 = 28; weights 6·1·5² = 150; MACs 6·28²·1·25 = 117,600 (d2l's LeNet conv1)
    ("lazyconv2d", cc.LazyConv2d(6, 5, padding=2), (1, 28, 28), (6, 28, 28), 150, 6, 117_600, 235_200),
    # Cin = 2: ⌊(9−3)/2⌋+1 = 4; weights 4·2·3 = 24; MACs 4·4·2·3 = 96
    ("lazyconv1d", cc.LazyConv1d(4, 3, stride=2), (2, 9), (4, 4), 24, 4, 96, 192),
    # Cin = 1: 4−3+1 = 2 per dim; weights 2·1·27 = 54; MACs 2·2³·27 = 432
    ("lazyconv3d", cc.LazyConv3d(2, 3), (1, 4, 4, 4), (2, 2, 2, 2), 54, 2, 432, 864),
    # Cin = 16: (7−1)·2 − 2·1 + (3−1) + 1 + 1 = 14; weights 16·8·9 = 1,152; MACs 16·49·8·9 = 56,448
    ("lazyconvtranspose2d", cc.LazyConvTranspose2d(8, 3, stride=2, padding=1, output_padding=1), (16, 7, 7), (8, 14, 14),
     1_152, 8, 56_448, 112_896),
    # Cin = 2: (5−1)·2 + (3−1) + 1 = 11; weights 2·3·3 = 18; MACs 2·5·3·3 = 90
    ("lazyconvtranspose1d", cc.LazyConvTranspose1d(3, 3, stride=2), (2, 5), (3, 11), 18, 3, 90, 180),
    # Cin = 2: (3−1)·1 + (2−1) + 1 = 4 per dim; weights 2·3·2³ = 48; MACs 2·27·3·8 = 1,296
    ("lazyconvtranspose3d", cc.LazyConvTranspose3d(3, 2), (2, 3, 3, 3), (3, 4, 4, 4), 48, 3, 1_296, 2_592),
    # in_features = 400 from the input (d2l's LeNet fc1): 400·120 = 48,000 weights and MACs, 120 biases
    ("lazylinear", cc.LazyLinear(120), (400,), (120,), 48_000, 120, 48_000, 96_000),
    # num_features = 64 from the channels: γ and β 64 + 64; 2·64·8·8 = 8,192
    ("lazybatchnorm2d", cc.LazyBatchNorm2d(), (64, 8, 8), (64, 8, 8), 64, 64, 0, 8_192),
    ("lazybatchnorm1d", cc.LazyBatchNorm1d(), (10,), (10,), 10, 10, 0, 20),
    # num_features = 2: γ, β 2 each; 2 FLOPs per element: 2·(2·2·2·2) = 32
    ("lazybatchnorm3d", cc.LazyBatchNorm3d(), (2, 2, 2, 2), (2, 2, 2, 2), 2, 2, 0, 32),
    # padding layers: O = I + P_left + P_right per dim; a copy: no parameters, MACs or FLOPs.
    # 2-d: torch's order (left, right, top, bottom): W 8+1+2 = 11, H 8+3+4 = 15
    ("zeropad2d", cc.ZeroPad2d((1, 2, 3, 4)), (3, 8, 8), (3, 15, 11), 0, 0, 0, 0),
    # a negative padding crops: 10 − 2 + 1 = 9
    ("zeropad1d", cc.ZeroPad1d((-2, 1)), (4, 10), (4, 9), 0, 0, 0, 0),
    # (left, right, top, bottom, front, back) = (1, 0, 0, 2, 1, 1): W 4+1 = 5, H 4+2 = 6, D 3+2 = 5
    ("zeropad3d", cc.ZeroPad3d((1, 0, 0, 2, 1, 1)), (2, 3, 4, 4), (2, 5, 6, 5), 0, 0, 0, 0),
    # 6 + 2·2 = 10 per side pair
    ("constantpad2d", cc.ConstantPad2d(2, 3.5), (3, 6, 6), (3, 10, 10), 0, 0, 0, 0),
    ("constantpad1d", cc.ConstantPad1d((0, 3), -1.0), (2, 5), (2, 8), 0, 0, 0, 0),
    ("constantpad3d", cc.ConstantPad3d(1, 0.5), (1, 2, 2, 2), (1, 4, 4, 4), 0, 0, 0, 0),
    # reflection: 3 < 4 allowed; 4 + 3 + 3 = 10
    ("reflectionpad2d", cc.ReflectionPad2d(3), (2, 4, 4), (2, 10, 10), 0, 0, 0, 0),
    ("reflectionpad1d", cc.ReflectionPad1d((2, 1)), (2, 5), (2, 8), 0, 0, 0, 0),
    ("reflectionpad3d", cc.ReflectionPad3d(1), (1, 3, 3, 3), (1, 5, 5, 5), 0, 0, 0, 0),
    ("replicationpad2d", cc.ReplicationPad2d((9, 0, 0, 9)), (2, 3, 3), (2, 12, 12), 0, 0, 0, 0),
    ("replicationpad1d", cc.ReplicationPad1d(4), (2, 3), (2, 11), 0, 0, 0, 0),
    ("replicationpad3d", cc.ReplicationPad3d((1, 1, 0, 0, 2, 0)), (1, 2, 2, 2), (1, 4, 2, 4), 0, 0, 0, 0),
    # circular: wraps at most once, 5 ≤ 5 allowed; 5 + 5 + 5 = 15
    ("circularpad2d", cc.CircularPad2d((5, 5, 1, 0)), (2, 4, 5), (2, 5, 15), 0, 0, 0, 0),
    ("circularpad1d", cc.CircularPad1d(2), (3, 4), (3, 8), 0, 0, 0, 0),
    ("circularpad3d", cc.CircularPad3d(1), (1, 2, 2, 2), (1, 4, 4, 4), 0, 0, 0, 0),
    # --- resampling: no parameters, no MACs ---
    # nearest: ⌊16·2⌋ = 32 per dim; each output copies one input element: 0 FLOPs
    ("upsample", cc.Upsample(scale_factor=2), (8, 16, 16), (8, 32, 32), 0, 0, 0, 0),
    # bilinear to size 5×7: 4 taps, 2·4 − 1 = 7 FLOPs per output element: 7·3·5·7 = 735
    ("upsample-bilinear-size", cc.Upsample(size=(5, 7), mode="bilinear"), (3, 8, 8), (3, 5, 7), 0, 0, 0, 735),
    # ⌊7·1.5⌋ = ⌊10.5⌋ = 10 (torch truncates); bicubic 16 taps: 31 per element: 31·2·10·10 = 6,200
    ("upsample-bicubic-fraction", cc.Upsample(scale_factor=1.5, mode="bicubic"), (2, 7, 7), (2, 10, 10), 0, 0, 0, 6_200),
    # linear 2 taps: 3 per element, 3·4·(⌊9·2.5⌋ = 22) = 264; trilinear 8 taps: 15·1·4·6·6 = 2,160
    ("upsample-linear", cc.Upsample(scale_factor=2.5, mode="linear", align_corners=True), (4, 9), (4, 22), 0, 0, 0, 264),
    ("upsample-trilinear", cc.Upsample(scale_factor=2, mode="trilinear"), (1, 2, 3, 3), (1, 4, 6, 6), 0, 0, 0, 2_160),
    ("upsamplingnearest2d", cc.UpsamplingNearest2d(size=10), (3, 4, 4), (3, 10, 10), 0, 0, 0, 0),
    # align_corners bilinear: 7·2·8·8 = 896
    ("upsamplingbilinear2d", cc.UpsamplingBilinear2d(scale_factor=2), (2, 4, 4), (2, 8, 8), 0, 0, 0, 896),
    # C·r² → C: 18/3² = 2 channels, 4·3 = 12 per dim: a copy
    ("pixelshuffle", cc.PixelShuffle(3), (18, 4, 4), (2, 12, 12), 0, 0, 0, 0),
    # 2·2² = 8 channels, 6/2 = 3, 4/2 = 2
    ("pixelunshuffle", cc.PixelUnshuffle(2), (2, 6, 4), (8, 3, 2), 0, 0, 0, 0),
    # U-Net's first crop: 64×568×568 → 392×392 from round((568 − 392)/2) = 88: a view
    ("centercrop", cc.CenterCrop(392), (64, 568, 568), (64, 392, 392), 0, 0, 0, 0),
    # (I−1)·S − 2P + K = (4−1)·2 − 0 + 2 = 8: a 2×2 max pool's inverse; a copy
    ("maxunpool2d", cc.MaxUnpool2d(2), (3, 4, 4), (3, 8, 8), 0, 0, 0, 0),
    # blocks ⌊(8 + 2 − 3)/2⌋ + 1 = 4 per dim: L = 16; rows 3·3·3 = 27
    ("unfold", cc.Unfold(3, padding=1, stride=2), (3, 8, 8), (27, 16), 0, 0, 0, 0),
    # the inverse: 27/9 = 3 channels on 8×8; one addition per input element: 27·16 = 432
    ("fold", cc.Fold(8, 3, padding=1, stride=2), (27, 16), (3, 8, 8), 0, 0, 0, 432),
    # DCGAN's generator input: 1,024 features → 64×4×4 (a view)
    ("unflatten", cc.Unflatten(1, (64, 4, 4)), (1_024,), (64, 4, 4), 0, 0, 0, 0),
    # --- Keras' layers (channels first here, as convcalc holds shapes; Keras reads the same H×W×C) ---
    # ⌊(63−7)/2⌋+1 = 29; weights 7·7·16·32 = 25,088 (+32 = 25,120, the figure); MACs 32·29²·16·49 = 21,099,008
    ("keras-conv2d", cc.Conv2D(32, (7, 7), strides=2), (16, 63, 63), (32, 29, 29), 25_088, 32, 21_099_008, 42_198_016),
    # TF 'same': ⌈200/2⌉ = 100; weights 3·3·3·100 = 2,700; MACs 100·100²·27 = 27,000,000
    ("keras-conv2d-same-stride", cc.Conv2D(100, 3, strides=2, padding="same"), (3, 200, 200), (100, 100, 100),
     2_700, 100, 27_000_000, 54_000_000),
    # causal: 2·(3−1) = 4 zeros before, so 10 stays 10; weights 3·3·4 = 36; MACs 4·10·3·3 = 360
    ("keras-conv1d-causal", cc.Conv1D(4, 3, padding="causal", dilation_rate=2), (3, 10), (4, 10), 36, 4, 360, 720),
    # ⌈5/2⌉ = 3 per dim; weights 3³·1·2 = 54, no bias; MACs 2·3³·1·3³ = 1,458
    ("keras-conv3d-same", cc.Conv3D(2, 3, strides=2, padding="same", use_bias=False), (1, 5, 5, 5), (2, 3, 3, 3),
     54, 0, 1_458, 2_916),
    # 3 channels × 2 = 6 outputs; ⌈7/2⌉ = ⌈8/2⌉ = 4; weights 6·3² = 54 (+6); MACs 6·4²·9 = 864
    ("keras-depthwise", cc.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2), (3, 7, 8), (6, 4, 4),
     54, 6, 864, 1_728),
    # depthwise 6·3² = 54 (no bias) + pointwise 6·5 = 30 (+5); MACs 864 + 5·4²·6 = 864 + 480 = 1,344
    ("keras-separable", cc.SeparableConv2D(5, 3, strides=2, padding="same", depth_multiplier=2), (3, 7, 8), (5, 4, 4),
     84, 5, 1_344, 2_688),
    # 'same': 5·3 = 15; weights Cin·Cout·k² = 3·4·25 = 300 (+4); MACs 3·5²·4·25 = 7,500
    ("keras-conv2dtranspose-same", cc.Conv2DTranspose(4, 5, strides=3, padding="same"), (3, 5, 5), (4, 15, 15),
     300, 4, 7_500, 15_000),
    # 'valid' with K < S: 5·3 + max(2−3, 0) = 15; weights 3·2·2 = 12; MACs 3·5·2·2 = 60
    ("keras-conv1dtranspose", cc.Conv1DTranspose(2, 2, strides=3), (3, 5), (2, 15), 12, 2, 60, 120),
    # output_padding 1: (2−1)·2 + 3 − 2·0 + 1 = 6; weights 1·2·3³ = 54; MACs 1·2³·2·27 = 432
    ("keras-conv3dtranspose", cc.Conv3DTranspose(2, 3, strides=2, output_padding=1), (1, 2, 2, 2), (2, 6, 6, 6),
     54, 2, 432, 864),
    # the MNIST convnet's head: 1,600·10 = 16,000 weights (+10)
    ("keras-dense", cc.Dense(10), (1_600,), (10,), 16_000, 10, 16_000, 32_000),
    # on 7×8×3 Dense acts on the last axis (3 → 5) at each of 56 positions: 15 weights (+5); MACs 56·15 = 840
    ("keras-dense-nd", cc.Dense(5), (3, 7, 8), (5, 7, 8), 15, 5, 840, 1_680),
    # default pool 2, stride 2: 26 → 13; comparisons 32·13²·(4−1) = 16,224
    ("keras-maxpooling2d", cc.MaxPooling2D(), (32, 26, 26), (32, 13, 13), 0, 0, 0, 16_224),
    # 'same' at stride 2: ⌈7/2⌉ = ⌈8/2⌉ = 4; comparisons 3·4²·(9−1) = 384
    ("keras-maxpooling2d-same", cc.MaxPooling2D(3, strides=2, padding="same"), (3, 7, 8), (3, 4, 4), 0, 0, 0, 384),
    # stride = pool 3: ⌊(10−3)/3⌋+1 = 3; comparisons 2·3·2 = 12
    ("keras-maxpooling1d", cc.MaxPooling1D(3), (2, 10), (2, 3), 0, 0, 0, 12),
    # 4 → 2 per dim; comparisons 2³·(8−1) = 56
    ("keras-maxpooling3d", cc.MaxPooling3D(), (1, 4, 4, 4), (1, 2, 2, 2), 0, 0, 0, 56),
    # 'same' at stride 3: ⌈7/3⌉ = ⌈8/3⌉ = 3; 3·3²·3² = 243
    ("keras-averagepooling2d-same", cc.AveragePooling2D(3, padding="same"), (3, 7, 8), (3, 3, 3), 0, 0, 0, 243),
    # ⌊(9−2)/2⌋+1 = 4; 4·4·2 = 32
    ("keras-averagepooling1d", cc.AveragePooling1D(2), (4, 9), (4, 4), 0, 0, 0, 32),
    # stride 1: 3 − 2 + 1 = 2 per dim; 2³·2³ = 64
    ("keras-averagepooling3d", cc.AveragePooling3D(2, strides=1), (1, 3, 3, 3), (1, 2, 2, 2), 0, 0, 0, 64),
    # one mean per channel: 3·7·8 = 168 additions (with the divisions)
    ("keras-gap2d", cc.GlobalAveragePooling2D(), (3, 7, 8), (3,), 0, 0, 0, 168),
    # keepdims: 3×1×1; comparisons 3·(56−1) = 165
    ("keras-gmp2d-keepdims", cc.GlobalMaxPooling2D(keepdims=True), (3, 7, 8), (3, 1, 1), 0, 0, 0, 165),
    ("keras-gap1d", cc.GlobalAveragePooling1D(), (4, 6), (4,), 0, 0, 0, 24),
    ("keras-gap3d", cc.GlobalAveragePooling3D(), (2, 2, 2, 2), (2,), 0, 0, 0, 16),
    # comparisons 4·(6−1) = 20 and 2·(8−1) = 14
    ("keras-gmp1d", cc.GlobalMaxPooling1D(), (4, 6), (4,), 0, 0, 0, 20),
    ("keras-gmp3d", cc.GlobalMaxPooling3D(), (2, 2, 2, 2), (2,), 0, 0, 0, 14),
    # Keras' 4·C: γ 3 + moving mean and variance 2·3 = 9 weights (6 non-trainable), β 3; 2·3·7·8 = 336
    ("keras-batchnorm", cc.BatchNormalization(), (3, 7, 8), (3, 7, 8), 9, 3, 0, 336),
    # ((top, bottom), (left, right)) = ((1, 2), (3, 4)): 1+7+2 = 10, 3+8+4 = 15
    ("keras-zeropadding2d", cc.ZeroPadding2D(((1, 2), (3, 4))), (3, 7, 8), (3, 10, 15), 0, 0, 0, 0),
    ("keras-zeropadding1d", cc.ZeroPadding1D((2, 1)), (3, 5), (3, 8), 0, 0, 0, 0),
    ("keras-zeropadding3d", cc.ZeroPadding3D(1), (1, 2, 2, 2), (1, 4, 4, 4), 0, 0, 0, 0),
    # Lookups and recurrent layers (convcalc/layers/recurrent.py). Recurrent FLOPs = 2·MACs + the cell's elementwise
    # ops per step, layer, direction: RNN 2H, LSTM 13H, GRU 10H (torch's cells; tests/test_recurrent.py counts them).
    # a lookup: 10·4 = 40 weights; each of the 6 ids → a row of 4; nothing computed
    ("embedding", cc.Embedding(10, 4), (6,), (6, 4), 40, 0, 0, 0),
    # ids of any shape: 3×5 ids → 3×5×4; padding_idx changes no count
    ("embedding-2d", cc.Embedding(10, 4, padding_idx=0), (3, 5), (3, 5, 4), 40, 0, 0, 0),
    # a bag of 5 ids → 4; sum: (5−1)·4 = 16 additions
    ("embeddingbag", cc.EmbeddingBag(10, 4, mode="sum"), (5,), (4,), 40, 0, 0, 16),
    # H(in + H) = 4·3 + 4·4 = 28 weights, b_ih + b_hh = 8; MACs 5 steps·28 = 140; FLOPs 2·140 + 5·2·4 = 320
    ("rnn", cc.RNN(3, 4), (5, 3), (5, 4), 28, 8, 140, 320),
    # per direction: layer 1 4·4·3 + 4·4·4 = 112, layer 2 (in 2·4 = 8) 4·4·8 + 64 = 192: weights 2·(112 + 192) = 608,
    # biases 2·2·(2·4·4) = 128; MACs per step 2·4·4·(3+4) + 2·4·4·(8+4) = 224 + 384 = 608, ×5 = 3,040;
    # FLOPs 2·3,040 + 5 steps·2 directions·2 layers·13·4 = 6,080 + 1,040 = 7,120; output 5 × 2·4
    ("lstm", cc.LSTM(3, 4, num_layers=2, bidirectional=True), (5, 3), (5, 8), 608, 128, 3_040, 7_120),
    # proj_size 2: h is 2 wide: 4·4·3 + 4·4·2 + 2·4 (weight_hr) = 88 weights, 32 biases; MACs 5·(4·4·(3+2) + 2·4) = 440;
    # FLOPs 2·440 + 5·13·4 = 1,140
    ("lstm-proj", cc.LSTM(3, 4, proj_size=2), (5, 3), (5, 2), 88, 32, 440, 1_140),
    # 3 gates: 3·4·3 + 3·4·4 = 84 weights, no biases; MACs 5·84 = 420; FLOPs 2·420 + 5·10·4 = 1,040
    ("gru", cc.GRU(3, 4, bias=False, batch_first=True), (5, 3), (5, 4), 84, 0, 420, 1_040),
    # one step: 28 weights, 8 biases, 28 MACs; FLOPs 2·28 + 2·4 = 64
    ("rnncell", cc.RNNCell(3, 4), (3,), (4,), 28, 8, 28, 64),
    # 4·4·(3+4) = 112 weights, 2·4·4 = 32 biases; FLOPs 2·112 + 13·4 = 276
    ("lstmcell", cc.LSTMCell(3, 4), (3,), (4,), 112, 32, 112, 276),
    # 3·4·(3+4) = 84 weights, 24 biases; FLOPs 2·84 + 10·4 = 208
    ("grucell", cc.GRUCell(3, 4), (3,), (4,), 84, 24, 84, 208),
    # --- attention (per-sample L×E tokens). MultiheadAttention E=256, H=8, L=S=49: in_proj 3·256² = 196,608 + out_proj
    # 256² = 65,536 weights; biases 3·256 + 256 = 1,024. MACs: projections 4·49·256² = 12,845,056, QKᵀ and AV 2·49·49·256
    # = 1,229,312: 14,074,368; FLOPs 2·MACs + softmax 8·49·49 = 28,148,736 + 19,208 (torch's FlopCounterMode: 2·MACs)
    ("mha", cc.MultiheadAttention(256, 8, batch_first=True), (49, 256), (49, 256), 262_144, 1_024, 14_074_368, 28_167_944),
    # q = k = v of 4 heads × 10 tokens × 16: MACs 4·10·10·16 (QKᵀ) + 4·10·10·16 (AV) = 12,800; + softmax 4·10·10 = 400
    ("sdpa", cc.ScaledDotProductAttention(is_causal=True), (4, 10, 16), (4, 10, 16), 0, 0, 12_800, 26_000),
    # E=64, H=4, F=128, L=10. weights: in_proj 3·64² = 12,288, out_proj 4,096, linear1 64·128 = 8,192, linear2 8,192, two
    # LayerNorms' γ 128: 32,896; biases 192 + 64 + 128 + 64 + β 128 = 576. MACs: projections 4·10·64² = 163,840, QKᵀ+AV
    # 2·10·10·64 = 12,800, MLP 2·10·64·128 = 163,840: 340,480. FLOPs 2·340,480 + softmax 4·10·10 + norms 2·5·640 + relu
    # 10·128 + adds 2·640 = 680,960 + 400 + 6,400 + 1,280 + 1,280 = 690,320
    ("transformer-encoder-layer", cc.TransformerEncoderLayer(64, 4, 128, batch_first=True), (10, 64), (10, 64),
     32_896, 576, 340_480, 690_320),
    # + cross-attention over 5 memory tokens: weights 16,384 + third γ 64; biases 256 + β 64. MACs: Q 10·64² = 40,960, K and
    # V 2·5·64² = 40,960, out 40,960, QKᵀ+AV 2·10·5·64 = 6,400: 129,280 → 469,760. FLOPs 2·469,760 + softmax 400 + 4·10·5
    # + norms 3·3,200 + relu 1,280 + adds 3·640 = 939,520 + 600 + 9,600 + 1,280 + 1,920 = 952,920
    ("transformer-decoder-layer", cc.TransformerDecoderLayer(64, 4, 128, batch_first=True, memory_length=5), (10, 64), (10, 64),
     49_344, 896, 469_760, 952_920),
    # γ of 64; x², its share of the mean, ·1/√, ·γ: 4 per element, 4·640 = 2,560
    ("rmsnorm", cc.RMSNorm(64), (10, 64), (10, 64), 64, 0, 0, 2_560),
    # one learnt token of 64 put first: 11 tokens; a copy
    ("class-token", cc.ClassToken(64), (10, 64), (11, 64), 64, 0, 0, 0),
    # a learnt 11×64 added: 704 parameters, 704 adds
    ("position-embedding", cc.PositionEmbedding(11, 64), (11, 64), (11, 64), 704, 0, 0, 704),
    ("select-token", cc.SelectToken(), (11, 64), (64,), 0, 0, 0, 0),
]


@pytest.mark.parametrize("layer, shape, out, weights, biases, macs, flops", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_counts(layer, shape, out, weights, biases, macs, flops) -> None:
    row = cc.summary(layer, shape, layout="chw").rows[0]  # the cases are written channels first
    assert row.output_shape == out
    assert (row.weights, row.biases, row.params) == (weights, biases, weights + biases)
    assert (row.macs, row.flops) == (macs, flops)
    prefix = f"{type(layer).framework}_" if type(layer).framework else ""  # keras_conv2d, apart from torch's conv2d
    assert row.kind == prefix + type(layer).__name__.lower()


def test_every_layer_type_has_a_case() -> None:
    """A new layer type must come with a hand-derived case here (blocks and joins are tested below)."""
    covered = {type(c[1]).kind for c in CASES}
    structural = {"sequential", "residual", "concat", "scale", "squeezeexcitation", "product", "add", "cat", "mul",
                  "transformerencoder"}
    variants = {"maxpool1d", "maxpool3d", "avgpool1d", "avgpool3d", "adaptiveavgpool1d", "adaptiveavgpool3d",
                "adaptivemaxpool1d", "adaptivemaxpool3d", "convtranspose1d", "convtranspose3d", "batchnorm3d",
                "conv2d", "separableconv2d", "maxunpool1d", "maxunpool3d"}  # nd variants share one implementation; separable: test_seeds
    assert set(LAYER_TYPES) - covered - structural - variants == set()


@pytest.mark.parametrize("layer", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_layers_are_values(layer: cc.Layer) -> None:
    """Equal when built from the same arguments, usable as dict keys, and immutable."""
    import copy

    from convcalc import records

    twin = copy.deepcopy(layer)
    assert twin == layer and hash(twin) == hash(layer) and {layer: 1}[twin] == 1
    assert twin != cc.Identity() or isinstance(layer, cc.Identity)
    fields = [f for f in records.fields(layer) if f.init] if records.is_record(layer) else []
    for f in fields[:1]:
        with pytest.raises(records.FrozenInstanceError):
            setattr(layer, f.name, getattr(layer, f.name))
        changed = records.replace(layer, **{f.name: getattr(layer, f.name)})
        assert changed == layer


def test_equal_arguments_of_different_layer_types_differ() -> None:
    assert cc.Conv1d(3, 4, 3) != cc.Conv2d(3, 4, 3) and cc.MaxPool2d(2) != cc.AvgPool2d(2)
    assert cc.Conv2d(3, 4, 3) == cc.Conv2d(3, 4, (3, 3)) and cc.Conv2d(3, 4, 3) != cc.Conv2d(3, 4, 3, bias=False)


def test_layer_repr_is_the_constructor_call() -> None:
    assert repr(cc.Conv2d(3, 10, 5, padding=2)) == "Conv2d(3, 10, 5, padding=2)"
    assert repr(cc.Conv2d(3, 10, (5, 3))) == "Conv2d(3, 10, (5, 3))"
    assert repr(cc.MaxPool2d(kernel_size=3, stride=2)) == "MaxPool2d(3, stride=2)"
    assert repr(cc.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert cc.Conv2d(3, 10, 5) == cc.Conv2d(3, 10, (5, 5))  # tuples and ints normalise alike


def test_none_channels_are_inferred_from_the_input() -> None:
    net = cc.Sequential(cc.Conv2d(None, 8, 3), cc.BatchNorm2d(None), cc.Flatten(), cc.Linear(None, 10))
    report = cc.summary(net, (3, 5, 5), layout="chw")  # (5×3×5 channels last would fit the open sizes too)
    # conv 8·3·9 + 8 = 224; bn 16; linear (8·3·3 = 72)·10 + 10 = 730
    assert [r.params for r in report.rows] == [224, 16, 0, 730]
    assert report.rows[0].layer == "Conv2d(3, 8, 3)"
    assert report.rows[3].layer == "Linear(72, 10)"


# --- blocks --------------------------------------------------------------------------------


def test_residual_identity_adds_one_flop_per_element() -> None:
    body = cc.Sequential(cc.Conv2d(4, 4, 3, padding=1), cc.ReLU(), cc.Conv2d(4, 4, 3, padding=1))
    report = cc.summary(cc.Residual(body), (4, 5, 5))
    add = report.rows[-1]
    assert (add.kind, add.path, add.output_shape) == ("add", "add", (4, 5, 5))
    assert add.flops == 4 * 5 * 5  # one addition per output element
    assert [r.path for r in report.rows] == ["body.0", "body.1", "body.2", "add"]
    # two 3×3 convs stacked see 1 + 2 + 2 = 5; the identity path sees 1; the sum sees both
    assert add.receptive_field == (5, 5)


def test_residual_projection_shortcut() -> None:
    block = cc.Residual(cc.Conv2d(4, 8, 3, stride=2, padding=1), shortcut=cc.Conv2d(4, 8, 1, stride=2))
    report = cc.summary(block, (4, 8, 8))
    assert [r.path for r in report.rows] == ["body", "shortcut", "add"]
    assert report.rows[-1].output_shape == (8, 4, 4)
    # 8·4·9 + 8 = 296 and 8·4 + 8 = 40
    assert report.totals.params == 336


def test_concat_joins_channels() -> None:
    inception_like = cc.Concat(
        {"b1": cc.Conv2d(8, 4, 1), "b2": cc.Conv2d(8, 6, 3, padding=1), "b3": cc.MaxPool2d(3, 1, padding=1)}
    )
    report = cc.summary(inception_like, (8, 7, 7))
    cat = report.rows[-1]
    assert (cat.kind, cat.path, cat.output_shape) == ("cat", "cat", (4 + 6 + 8, 7, 7))
    assert cat.flops == 0 and cat.activation_bytes == 18 * 49 * 4  # torch.cat makes a new tensor


def test_squeeze_excitation_gates_the_input() -> None:
    report = cc.summary(cc.SqueezeExcitation(16, 4), (16, 8, 8))
    assert [r.path for r in report.rows] == ["avgpool", "fc1", "activation", "fc2", "scale_activation", "scale"]
    # fc1 16·4 + 4 = 68, fc2 4·16 + 16 = 80 (torchvision's SE uses 1×1 convs with bias)
    assert report.totals.params == 148
    mul = report.rows[-1]
    assert (mul.kind, mul.output_shape, mul.flops) == ("mul", (16, 8, 8), 16 * 8 * 8)
    with pytest.raises(cc.ShapeError, match="does not broadcast"):
        cc.summary(cc.Scale(cc.Conv2d(4, 2, 1)), (4, 3, 3))


def test_product_multiplies_two_branches() -> None:
    """LRASPP's head: cbr(x) · scale(x), the second broadcast over the first."""
    net = cc.Product({"cbr": cc.Sequential(cc.Conv2d(8, 4, 1, bias=False), cc.ReLU()),
                      "scale": cc.Sequential(cc.AdaptiveAvgPool2d(1), cc.Conv2d(8, 4, 1, bias=False), cc.Sigmoid())})
    report = cc.summary(net, (8, 5, 5))
    assert [r.path for r in report.rows] == ["cbr.0", "cbr.1", "scale.0", "scale.1", "scale.2", "mul"]
    assert report.totals.params == 8 * 4 + 8 * 4  # two 1×1 convs without bias
    mul = report.rows[-1]
    assert (mul.kind, mul.output_shape, mul.flops) == ("mul", (4, 5, 5), 4 * 5 * 5)
    with pytest.raises(cc.SpecError, match="Product: needs two branches"):
        cc.Product(cc.ReLU())
    with pytest.raises(cc.ShapeError, match="does not broadcast"):
        cc.summary(cc.Product(cc.Conv2d(8, 4, 1), cc.Conv2d(8, 2, 1)), (8, 5, 5))


def test_residual_activation_runs_after_the_sum() -> None:
    report = cc.summary(cc.Residual(cc.Conv2d(4, 4, 3, padding=1), activation=cc.ReLU(inplace=True)), (4, 5, 5))
    assert [(r.path, r.kind) for r in report.rows] == [("body", "conv2d"), ("add", "add"), ("activation", "relu")]


def test_channels_last_linear_keeps_the_receptive_field() -> None:
    # ConvNeXt's block: a 7×7 depthwise conv (rf 7), then Linear over channels in a permuted layout
    block = cc.Sequential(cc.Conv2d(8, 8, 7, padding=3, groups=8), cc.Permute((0, 2, 3, 1)), cc.Linear(8, 32),
                          cc.Permute((0, 3, 1, 2)))
    assert [r.receptive_field for r in cc.summary(block, (8, 14, 14)).rows] == [(7, 7)] * 4


def test_shared_layer_counts_parameters_once_and_macs_twice() -> None:
    conv = cc.Conv2d(4, 4, 3, padding=1)
    report = cc.summary(cc.Sequential(conv, cc.ReLU(), conv), (4, 5, 5))
    # 4·4·9 + 4 = 148 parameters, once; MACs 4·5²·(4·9) = 3,600 per call, twice
    assert report.totals.params == 148
    assert report.rows[2].params == 0 and report.rows[2].shared_with == 1
    assert report.totals.macs == 7_200


def test_sequential_accepts_names_and_indexing() -> None:
    net = cc.Sequential({"features": cc.Sequential(cc.Conv2d(1, 2, 3)), "head": cc.Flatten()})
    assert [r.path for r in cc.summary(net, (1, 5, 5)).rows] == ["features.0", "head"]
    assert net["head"] == cc.Flatten() and net[0] == cc.Sequential(cc.Conv2d(1, 2, 3))
    assert [r.depth for r in cc.summary(net, (1, 5, 5)).rows] == [1, 0]


# --- errors --------------------------------------------------------------------------------


def test_kernel_larger_than_padded_input_names_layer_values_and_fix() -> None:
    net = cc.Sequential({"features": cc.Sequential(cc.Conv2d(1, 4, 3), cc.ReLU(), cc.Conv2d(4, 4, 5))})
    with pytest.raises(cc.ShapeError) as caught:
        cc.summary(net, (1, 5, 5))  # 5 → 3 after the first conv; a 5×5 kernel needs 5 (or padding 1)
    assert str(caught.value) == (
        "layer 3 (features.2) Conv2d: kernel 5 does not fit input 3x3 with padding 0; "
        "it needs at least 5x5 (or padding ≥ 1)"
    )


def test_pool_that_does_not_fit_offers_no_padding_torch_would_refuse() -> None:
    # dilated to 2·(3−1)+1 = 7: a 1×1 input needs padding 3, but torch allows at most 3 // 2 = 1
    with pytest.raises(cc.ShapeError, match=r"kernel 3 \(dilated to 7\) does not fit input 1x1 with padding 0; it needs at least 7x7$"):
        cc.summary(cc.MaxPool2d(3, dilation=3), (2, 1, 1))
    with pytest.raises(cc.ShapeError, match=r"it needs at least 4x4 \(or padding ≥ 2\)$"):
        cc.summary(cc.MaxPool2d(4), (2, 1, 1))  # 1 + 2·2 ≥ 4 and 2 ≤ 4 // 2


def test_channel_mismatch() -> None:
    with pytest.raises(cc.ShapeError, match=r"^layer 1 Conv2d: in_channels=3 but the input has 1 channels \(shape 1x28x28\)"):
        cc.summary(cc.Conv2d(3, 8, 3), (1, 28, 28))


def test_linear_without_flatten_suggests_it() -> None:
    with pytest.raises(cc.ShapeError, match=r"add a Flatten\(\) before it \(256·6·6 = 9216\)"):
        cc.summary(cc.Linear(9216, 4096), (256, 6, 6))


def test_wrong_rank_input() -> None:
    with pytest.raises(cc.ShapeError, match=r"expects a 3-d input per sample \(C×H×W\), got 3x224 \(2-d\)"):
        cc.summary(cc.Conv2d(3, 8, 3), (3, 224))


def test_residual_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(cc.ShapeError) as caught:
        cc.summary(cc.Sequential({"block": cc.Residual(cc.Conv2d(4, 8, 1))}), (4, 5, 5))
    message = str(caught.value)
    assert message.startswith("layer 2 (block.add) Residual: body gives 8x5x5 but identity gives 4x5x5")
    assert "Conv2d(4, 8, 1)" in message  # the projection that would fit


def test_concat_spatial_mismatch() -> None:
    with pytest.raises(cc.ShapeError, match=r"branch 0 gives 2x3x3 but branch 1 gives 2x5x5"):
        cc.summary(cc.Concat(cc.Conv2d(1, 2, 3), cc.Conv2d(1, 2, 1)), (1, 5, 5))


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: cc.Conv2d(3, 4, 3, groups=2), r"Conv2d: groups=2 does not divide in_channels=3; groups that divide both: 1"),
        (lambda: cc.Conv2d(1, 1, 0), r"Conv2d: kernel_size must be positive, got 0"),
        (lambda: cc.Conv2d(1, 1, 3, stride=0), r"Conv2d: stride must be positive, got 0"),
        (lambda: cc.Conv2d(1, 1, 3, stride=-2), r"Conv2d: stride must be positive, got -2"),
        (lambda: cc.Conv2d(1, 1, 3, padding=-1), r"Conv2d: padding must be non-negative, got -1"),
        (lambda: cc.Conv2d(1, 1, 3, dilation=0), r"Conv2d: dilation must be positive"),
        (lambda: cc.Conv2d(1, 1, 3.0), r"Conv2d: kernel_size must be ints, got 3.0"),
        (lambda: cc.Conv2d(1, 1, True), r"Conv2d: kernel_size must be ints, got True"),
        (lambda: cc.Conv2d(1, 1, (3, 3, 3)), r"Conv2d: kernel_size needs one int or 2 values for a 2-d layer"),
        (lambda: cc.Conv2d(0, 1, 3), r"Conv2d: in_channels must be a positive int, got 0"),
        (lambda: cc.Conv2d(1, 1, 3, stride=2, padding="same"), r"padding='same' needs stride 1"),
        (lambda: cc.Conv2d(1, 1, 3, padding="full"), r"padding must be an int, a tuple, 'same' or 'valid'"),
        (lambda: cc.MaxPool2d(3, padding=2), r"MaxPool2d: padding=2 is more than half of kernel_size=3; torch allows at most kernel_size // 2 = 1"),
        (lambda: cc.AvgPool2d(2, padding=2), r"AvgPool2d: padding=2 is more than half"),
        (lambda: cc.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2), r"output_padding=2 must be smaller than stride 2 or dilation 1"),
        (lambda: cc.Linear(10, 0), r"Linear: out_features must be a positive int, got 0"),
        (lambda: cc.Linear(10, 5, bias="yes"), r"Linear: bias must be True or False"),
        (lambda: cc.Dropout(1.5), r"Dropout: p must be between 0 and 1"),
        (lambda: cc.Dropout2d(-0.1), r"Dropout2d: p must be between 0 and 1"),
        (lambda: cc.GroupNorm(4, 30), r"GroupNorm: num_channels=30 is not divisible by num_groups=4; use a num_groups that divides 30"),
        (lambda: cc.GroupNorm(0, 30), r"GroupNorm: num_groups must be a positive int, got 0"),
        (lambda: cc.PReLU(0), r"PReLU: num_parameters must be a positive int, got 0"),
        (lambda: cc.Hardtanh(1.0, 1.0), r"Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)"),
        (lambda: cc.InstanceNorm2d(8, affine="no"), r"InstanceNorm2d: affine must be True or False"),
        (lambda: cc.Flatten(0), r"start_dim=0 would merge the batch"),
        (lambda: cc.AdaptiveAvgPool2d(0), r"output_size must be a positive int, None, or a tuple of 2"),
        (lambda: cc.Residual("conv"), r"Residual: body is 'conv', not a convcalc layer"),
        (lambda: cc.Sequential(cc.ReLU(), 3), r"Sequential: child '1' is 3, not a convcalc layer"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_constructor_arguments_are_spec_errors(build, message) -> None:
    with pytest.raises(cc.SpecError, match=message):
        build()


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (cc.GroupNorm(4, 32), (16, 8, 8), r"num_channels=32 but the input has 16 channels \(shape 16x8x8\); use num_channels=16"),
        (cc.GroupNorm(4, None), (30, 8, 8), r"GroupNorm: num_channels=30 is not divisible by num_groups=4"),
        (cc.InstanceNorm2d(8), (8, 16), r"expects a 3-d input per sample \(C×H×W\), got 8x16 \(2-d\)"),
        (cc.InstanceNorm1d(8), (8, 4, 4), r"expects a 2-d input per sample \(C×L\), got 8x4x4 \(3-d\)"),
        (cc.PReLU(8), (16, 4, 4), r"num_parameters=8 but the input has 16 channels \(shape 16x4x4\); use num_parameters=16"),
        (cc.Dropout1d(), (8, 4, 4), r"expects C or C×L per sample, got 8x4x4 \(3-d\)"),
        (cc.LogSoftmax(dim=3), (10,), r"dim=3 is out of range for a 2-d batch"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_norms_and_activations_that_do_not_fit_say_why(layer, shape, message) -> None:
    """torch refuses each of these too (GroupNorm, InstanceNorm with affine, PReLU: RuntimeError or ValueError)."""
    with pytest.raises(cc.ShapeError, match=message):
        cc.summary(layer, shape, layout="chw")


def test_error_hierarchy() -> None:
    assert issubclass(cc.ShapeError, ValueError) and issubclass(cc.ShapeError, cc.ConvCalcError)
    assert issubclass(cc.SpecError, ValueError) and issubclass(cc.SpecError, cc.ConvCalcError)
    assert issubclass(cc.UnknownModelError, KeyError) and issubclass(cc.UnknownModelError, cc.ConvCalcError)


@pytest.mark.parametrize("shape", [(3, 0, 5), (3, -1, 5), (), (3, 2.5, 4), "3x224x224x"], ids=str)
def test_bad_input_shapes(shape) -> None:
    with pytest.raises(cc.ShapeError):
        cc.summary(cc.ReLU(), shape)


def test_pool_fit_hint_respects_ceil_mode() -> None:
    # ceil_mode lets the one window hang S−1 = 1 past the end: torch pools a 4×4 input to 1×1
    with pytest.raises(cc.ShapeError, match=r"kernel 5 does not fit input 2x2 with padding 0; it needs at least 4x4 \(or padding ≥ 1\)"):
        cc.summary(cc.MaxPool2d(5, stride=2, ceil_mode=True), (1, 2, 2))
    assert cc.summary(cc.MaxPool2d(5, stride=2, ceil_mode=True), (1, 4, 4)).rows[0].output_shape == (1, 1, 1)


def test_padding_hints_are_written_as_arguments() -> None:
    with pytest.raises(cc.ShapeError, match=r"it needs at least 3x5 \(or padding ≥ \(1, 0\)\)$"):
        cc.summary(cc.Conv2d(1, 1, (3, 5)), (1, 2, 10))
    with pytest.raises(cc.ShapeError, match=r"it needs at least 3x3$"):  # reflect cannot pad a 1-row input
        cc.summary(cc.Conv2d(1, 1, 3, padding_mode="reflect"), (1, 1, 10))


def test_same_padding_with_reflect_checks_the_wider_side() -> None:
    # kernel 2, "same": padding 0 on the left and 1 on the right; reflecting 1 needs 2 inputs
    with pytest.raises(cc.ShapeError, match="padding_mode='reflect' needs padding smaller than the input size, got padding 1 on input 1"):
        cc.summary(cc.Conv1d(1, 1, 2, padding="same", padding_mode="reflect"), (1, 1))


@pytest.mark.parametrize(
    "call",
    [lambda: cc.summary(cc.ReLU(), 5), lambda: cc.summary(cc.ReLU(), None), lambda: cc.models.get("alexnet", input_shape=5),
     lambda: cc.parse_shape(None), lambda: cc.parse_shape("1x32x3²"), lambda: cc.parse_shape("1x" + "9" * 5000),
     lambda: cc.summary(cc.ReLU(), (3,), dtype=["float32"]), lambda: cc.models.list(None), lambda: cc.summary(42, (3,)),
     lambda: cc.models.get(None), lambda: cc.ConvTranspose2d(1, 1, 3, padding_mode="reflect"),
     lambda: cc.AdaptiveAvgPool1d((None,)), lambda: cc.Conv2d(2**40, 2**40, 3, groups=3)],
    ids=["int-shape", "none-shape", "get-int-shape", "parse-none", "superscript", "huge-digits", "list-dtype", "list-none",
         "not-a-layer", "get-none", "transposed-reflect", "adaptive1d-none", "huge-groups"],
)
def test_bad_values_of_the_wrong_type_are_convcalc_errors(call) -> None:
    with pytest.raises(cc.ConvCalcError):
        call()


def test_bad_batch_and_dtype() -> None:
    with pytest.raises(cc.ShapeError, match="batch must be a positive int, got 0"):
        cc.summary("lenet5", batch=0)
    with pytest.raises(cc.SpecError, match="unknown dtype 'float13'"):
        cc.summary("lenet5", dtype="float13")


def test_huge_inputs_are_exact() -> None:
    # 10⁸ pixels a side: out 10⁸ − 2, MACs 64·(10⁸−2)²·27 as exact Python ints (no float, no overflow)
    row = cc.summary(cc.Conv2d(3, 64, 3), (3, 10**8, 10**8)).rows[0]
    assert row.output_shape == (64, 10**8 - 2, 10**8 - 2)
    assert row.macs == 64 * (10**8 - 2) ** 2 * 27


def test_a_one_tuple_stands_for_every_dim_as_in_torch() -> None:
    """torch 2.13 reads stride=(2,) on a Conv2d, and kernel_size=(3,) on a MaxPool2d, as the same
    value for every dim (found by benchmarks/fuzz.py); a conv's kernel_size=(3,) it refuses."""
    # (5 − 3) // 2 + 1 = 2 a side
    assert cc.summary(cc.Conv2d(1, 1, 3, stride=(2,)), (1, 5, 5)).rows[0].output_shape == (1, 2, 2)
    # kernel 3, stride defaults to the kernel: (5 − 3) // 3 + 1 = 1 a side
    assert cc.summary(cc.MaxPool2d((3,)), (1, 5, 5)).rows[0].output_shape == (1, 1, 1)
    assert cc.ConvTranspose3d(1, 1, 3, padding=(1,)).padding == (1, 1, 1)
    with pytest.raises(cc.SpecError, match=r"kernel_size needs one int or 2 values"):
        cc.Conv2d(1, 1, (3,))
