// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

// A fresh process that loads a saved model zip and prints its scores, for the save/load tests.
// Usage: LoadCheck <model.zip> <rows.bin> <featureColumn>
//   rows.bin: int32 rows, int32 columns, then rows*columns float32.
// Prints "loaded-before=<bool> loaded-after=<bool> type=<last transformer>" then one line of hex float bits per row.
static bool SparseL1Loaded() => AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.ML.SparseL1");

bool before = SparseL1Loaded();
var ml = new MLContext();
var model = ml.Model.Load(args[0], out var inputSchema);
bool after = SparseL1Loaded();

using var reader = new BinaryReader(File.OpenRead(args[1]));
int rows = reader.ReadInt32(), columns = reader.ReadInt32();
var data = Enumerable.Range(0, rows).Select(_ => new InputRow { Features = Enumerable.Range(0, columns).Select(_ => reader.ReadSingle()).ToArray() }).ToArray();
var definition = SchemaDefinition.Create(typeof(InputRow));
var featureColumn = definition.Single(c => c.MemberName == nameof(InputRow.Features));
featureColumn.ColumnName = args[2];
featureColumn.ColumnType = new VectorDataViewType(NumberDataViewType.Single, columns);
var view = ml.Data.LoadFromEnumerable(data, definition);

var last = model is TransformerChain<ITransformer> chain ? chain.LastTransformer : model;
Console.WriteLine($"loaded-before={before} loaded-after={after} type={last.GetType().FullName}");
var scored = model.Transform(view);
var score = scored.Schema["Score"];
using var cursor = scored.GetRowCursor([score]);
if (score.Type is VectorDataViewType)
{
    var getter = cursor.GetGetter<VBuffer<float>>(score);
    VBuffer<float> value = default;
    while (cursor.MoveNext())
    {
        getter(ref value);
        Console.WriteLine(string.Join(" ", value.DenseValues().Select(Bits)));
    }
}
else
{
    var getter = cursor.GetGetter<float>(score);
    float value = 0;
    while (cursor.MoveNext())
    {
        getter(ref value);
        Console.WriteLine(Bits(value));
    }
}

static string Bits(float v) => BitConverter.SingleToInt32Bits(v).ToString("X8", CultureInfo.InvariantCulture);

internal sealed class InputRow
{
    public float[] Features { get; set; } = [];
}
