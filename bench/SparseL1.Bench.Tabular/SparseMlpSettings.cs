// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.ML;

namespace SparseL1.Bench.Tabular;

/// <summary>
/// SparseMlp options set by name, from <c>Key=Value;Key=Value</c>: any public settable property of the options class
/// (names case-insensitive), or of one of its option groups by its path (<c>ParameterSelection.LargeProbe=1e-3</c>). Arrays take comma-separated elements (<c>HiddenLayerSizes=256,256</c>; empty for none),
/// nullable ones <c>null</c>, enums their member names.
/// </summary>
internal sealed class SparseMlpSettings
{
    private readonly KeyValuePair<string, string>[] _settings;

    private SparseMlpSettings(KeyValuePair<string, string>[] settings) => _settings = settings;

    /// <summary>No settings: the defaults.</summary>
    public static SparseMlpSettings None { get; } = new([]);

    /// <summary>The settings as given, for the output; empty for the defaults.</summary>
    public string Text => string.Join(";", _settings.Select(setting => $"{setting.Key}={setting.Value}"));

    public static SparseMlpSettings Parse(string text)
    {
        var settings = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item =>
        {
            int equals = item.IndexOf('=');
            if (equals <= 0)
                throw new FormatException($"SparseMlp setting '{item}' is not Key=Value.");
            return KeyValuePair.Create(item[..equals].Trim(), item[(equals + 1)..].Trim());
        }).ToArray();
        return new SparseMlpSettings(settings);
    }

    /// <summary>The setting of a transform before our trainer (measurements only): <c>Pre=binning</c> or <c>Pre=logmeanvariance</c>.</summary>
    private const string PreKey = "Pre";

    /// <summary>
    /// <paramref name="trainer"/>, behind the transform of <c>Pre=...</c> if set: <c>binning</c> (NormalizeBinning, 1,024 bins:
    /// each value replaced by its bin's rank, a quantile map) or <c>logmeanvariance</c> (NormalizeLogMeanVariance). To
    /// measure what a per-input map of skewed inputs would give before building one into the trainer.
    /// </summary>
    public IEstimator<ITransformer> Wrap(MLContext ml, IEstimator<ITransformer> trainer)
    {
        string? pre = _settings.Where(setting => setting.Key.Equals(PreKey, StringComparison.OrdinalIgnoreCase)).Select(setting => setting.Value).LastOrDefault();
        return pre?.ToLowerInvariant() switch
        {
            null => trainer,
            "binning" => ml.Transforms.NormalizeBinning("Features", maximumBinCount: 1024).Append(trainer),
            "logmeanvariance" => ml.Transforms.NormalizeLogMeanVariance("Features").Append(trainer),
            _ => throw new ArgumentException($"Pre={pre}: expected binning or logmeanvariance."),
        };
    }

    /// <summary>The prefix of a setting of the library's default rule (its internal <c>DataDefaults</c>) instead of an option.</summary>
    private const string RulePrefix = "Rule.";

    /// <summary>
    /// Sets each option on <paramref name="options"/>, and each <c>Rule.Name=Value</c> on the library's internal
    /// <c>DataDefaults</c> (the rule behind the null defaults: <c>Rule.HiddenLayers</c>, <c>Rule.MinimumWidth</c>,
    /// <c>Rule.MaximumWidth</c>, <c>Rule.WidthPerSqrtRow</c>, <c>Rule.WidthPerOutput</c>, <c>Rule.MinimumEpochs</c>,
    /// <c>Rule.MinimumSteps</c>, <c>Rule.ChooseClassificationStep</c>), so that candidate defaults are measured before they are chosen; an unknown name or a
    /// bad value throws, naming it.
    /// </summary>
    public TOptions Apply<TOptions>(TOptions options)
        where TOptions : notnull
    {
        foreach (var (key, value) in _settings)
        {
            if (key.Equals(PreKey, StringComparison.OrdinalIgnoreCase))
                continue;
            if (key.StartsWith(RulePrefix, StringComparison.OrdinalIgnoreCase))
            {
                var rules = typeof(TOptions).Assembly.GetType("Microsoft.ML.SparseL1.Trainers.DataDefaults", throwOnError: true)!;
                var rule = rules.GetProperty(key[RulePrefix.Length..], BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.IgnoreCase)
                    ?? throw new ArgumentException($"The library's default rule has no parameter '{key[RulePrefix.Length..]}'.");
                rule.SetValue(null, Convert(value, rule.PropertyType));
                continue;
            }

            // A grouped option by its path (ParameterSelection.LargeProbe=1e-3): the group's object is read, its option set.
            object target = options;
            string[] path = key.Split('.');
            foreach (string group in path[..^1])
            {
                target = target.GetType().GetProperty(group, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.GetValue(target)
                    ?? throw new ArgumentException($"{typeof(TOptions).FullName} has no option group '{group}' (in '{key}').");
            }

            var property = target.GetType().GetProperty(path[^1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
                throw new ArgumentException($"{typeof(TOptions).FullName} has no settable option '{key}'.");
            try
            {
                property.SetValue(target, Convert(value, property.PropertyType));
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException or InvalidCastException)
            {
                throw new ArgumentException($"SparseMlp option {property.Name}: cannot use '{value}' as {property.PropertyType.Name}: {ex.Message}", ex);
            }
        }

        return options;
    }

    private static object? Convert(string text, Type type)
    {
        if (Nullable.GetUnderlyingType(type) is Type underlying)
            return text.Equals("null", StringComparison.OrdinalIgnoreCase) ? null : Convert(text, underlying);
        if (type.IsArray)
        {
            if (text.Equals("null", StringComparison.OrdinalIgnoreCase))
                return null;
            var elementType = type.GetElementType()!;
            string[] items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var array = Array.CreateInstance(elementType, items.Length);
            for (int i = 0; i < items.Length; i++)
                array.SetValue(Convert(items[i], elementType), i);
            return array;
        }

        if (type.IsEnum)
            return Enum.Parse(type, text, ignoreCase: true);
        return type == typeof(string) ? text : System.Convert.ChangeType(text, type, CultureInfo.InvariantCulture);
    }
}
