// Licensed under the MIT License. See LICENSE in the repository root.

namespace Microsoft.ML.SparseL1.Format;

/// <summary>
/// The binary model format, stored as its own entry in the ML.NET model zip.
/// </summary>
/// <remarks>
/// *** Binary format *** (little-endian; ModelWriter and ModelReader follow it field by field)
/// <code>
/// envelope:  byte[8] magic "SPL1MLP\0" | int32 version | int64 payloadLength | byte[payloadLength] payload | uint32 crc32(payload)
/// payload:   byte task (0 multiclass, 1 binary, 2 regression)
///            string featureColumnName
///            int32 classNameCount, string[classNameCount]        (label key values; 0 if none)
///            int32 inputCount
///            int32 layerCount
///            per layer: int32 inputs | int32 outputs | float[outputs] bias | byte storage (0 dense, 1 CSR)
///                       dense: float[outputs*inputs] weights
///                       CSR:   int32 nonZero | int32[outputs+1] rowPointers | int32[nonZero] columns | float[nonZero] values
///            training summary: int32 D | int32[D+1] trainedLayerSizes | float[D] lambdas | int32[D] trainedNonZero
///            int32 hasSelectionReport (0 or 1), then the report (see SelectionReportFormat)
///            int32 hasInputRange (0 or 1), then float[inputCount] lower | float[inputCount] upper   (from 0x00010003)
///            int32 scoring (0 row-wise, 1 each layer of a dense row by input where that is cheaper)  (from 0x00010004)
///            int32 hasInputEncoding (0 or 1), then per input: int32 edgeCount (0, or 2 to 257) | float[edgeCount] edges
///                                                   (from 0x00010005; layer[0].inputs is then the encoded slots)
///            int32 hasScoreRange (0 or 1), then float[outputs] lower | float[outputs] upper         (from 0x00010006)
/// string:    int32 byteCount | UTF-8 bytes
/// </code>
/// Version history (docs/model-format.md, "Versions"; the reader accepts every version from
/// <see cref="OldestReadableVersion"/> to <see cref="CurrentVersion"/>):
/// 0x00010001: initial (the checked-in 0.1.0 zips). The zip's identity entry (SparseMlpIdentity.bin: task, input and output counts)
///             was written beside the payload from the start, but outside the versioned format.
/// 0x00010002: the identity entry is part of the format and required on load; the payload's layout is unchanged.
/// 0x00010003: the input range the predictor clamps inputs to ends the payload (older files have none and score as before).
/// 0x00010004: the payload ends with how a dense row's layers are scored: older files are row-wise and score as before.
/// 0x00010005: the payload ends with the piecewise-linear input encoding, if any (older files have none).
/// 0x00010006: the payload ends with the range a regression's scores are clamped to, if any (older files have none).
/// </remarks>
internal static class ModelFormat
{
    public static readonly byte[] Magic = "SPL1MLP\0"u8.ToArray();

    /// <summary>The version this library writes.</summary>
    public const int CurrentVersion = 0x00010006;

    /// <summary>The first version whose payload ends with the input range.</summary>
    public const int InputRangeVersion = 0x00010003;

    /// <summary>The first version whose payload ends with the scoring (<see cref="Model.CompactMlp.ScoresByInputs"/>).</summary>
    public const int ScoringVersion = 0x00010004;

    /// <summary>The first version whose payload ends with the input encoding (<see cref="Model.CompactMlp.Encoding"/>).</summary>
    public const int EncodingVersion = 0x00010005;

    /// <summary>The first version whose payload ends with the score range (<see cref="Model.CompactMlp.ScoreRange"/>).</summary>
    public const int ScoreRangeVersion = 0x00010006;

    /// <summary>The oldest version this library reads: files of every released version keep loading.</summary>
    public const int OldestReadableVersion = 0x00010001;

    /// <summary>Largest payload accepted (2 GiB − 1): a forged length must not trigger a huge allocation.</summary>
    public const long MaxPayloadLength = int.MaxValue;

    /// <summary>Longest string (bytes) accepted.</summary>
    public const int MaxStringBytes = 1 << 20;

    /// <summary>Most layers accepted.</summary>
    public const int MaxLayers = 4096;

    /// <summary>Most neurons or inputs per layer accepted.</summary>
    public const int MaxWidth = 1 << 26;

    /// <summary>The name of our entry inside the ML.NET model zip (beside ML.NET's Model.key).</summary>
    public const string ZipEntryName = "SparseMlpModel.bin";
}
