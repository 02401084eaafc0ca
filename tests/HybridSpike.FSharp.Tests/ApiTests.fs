module HybridSpike.FSharp.Tests.ApiTests

open System.Threading
open Xunit
open HybridSpike.Core.Data
open HybridSpike.Core.Numerics
open HybridSpike.Core.Reference
open HybridSpike.Training
open HybridSpike.Training.Config

[<Fact>]
let ``Data, math and the golden simulator read naturally from F#`` () =
    let dataset = Datasets.Load(DatasetRequest.Of Datasets.MnistEmbedded, Datasets.DefaultSplitSeed)
    Assert.Equal(2000, dataset.Splits.Test.Count)
    let view = SequenceView.Permuted(784, 1234UL)
    Assert.Equal(784, view.Length)
    let memory = Legendre.Discretize(4, 10.0, Discretization.ZeroOrderHold, 1.0)
    Assert.Equal(4, memory.Order)
    let counts = Array.zeroCreate<int> 3
    let state = [| 0.5; 0.5; 0.5 |]
    SigmaDelta.Step(System.Span state, System.ReadOnlySpan [| 1.0; -1.0; 0.25 |], 2.0, System.Span counts)
    Assert.Equal<int[]>([| 2; -2; 1 |], counts)

[<Fact>]
let ``A config is built with named arguments and training is a Task`` () =
    let config =
        TrainingConfig(
            Name = "fsharp",
            Model = ModelConfig(Lmu = LmuConfig(Order = 8, Hidden = 8, Weights = LmuWeightsConfig(HiddenKernel = false))),
            Training = OptimizationConfig(Epochs = 1, BatchSize = 50, MaxBatchesPerEpoch = 2),
            Data = DataConfig(TrainLimit = 100, TestLimit = 50))
    Assert.Empty(config.Validate())
    let out = System.IO.Directory.CreateTempSubdirectory("hs-fs-").FullName
    try
        let data = SequenceData.Load(config.Data, null, null)
        let result = Trainer(config, out).RunAsync(data, false, null, CancellationToken.None).Result
        Assert.Equal(1, result.History.Count)
        use trained = TrainedModel.Load(result.Checkpoint)
        let finished = trained.Finish(data, out)
        Assert.Equal(50, finished.Evaluation.Result.Samples)
        let golden = GoldenSimulator.Create(HybridSpike.Core.Artifact.ArtifactFile.Read finished.Artifact)
        Assert.Equal(10, golden.OutputSize)
    finally
        System.IO.Directory.Delete(out, true)

[<Fact>]
let ``Mesh run options and placements are built from F# without optional arguments`` () =
    let options = HybridSpike.Actors.Runtime.MeshRunOptions.Local.WithShuffle(HybridSpike.Actors.Runtime.DeliveryShuffle(7UL, 2))
    Assert.Equal(2, options.Shuffle.MaxHold)
    Assert.Equal(System.Nullable(), options.Timeout)
    Assert.Empty(options.Validate())
    let timed = HybridSpike.Actors.Runtime.MeshRunOptions.Local.WithTimeout(System.TimeSpan.FromSeconds 5.0)
    Assert.Null(timed.Shuffle)
    Assert.Equal("random(3)", HybridSpike.Mapping.Compile.RandomPlacement(3UL).Name)
    let nodes = HybridSpike.Actors.Runtime.MeshRunOptions.OnNodes([ Akka.Actor.Address("akka.tcp", "hybridspike", "127.0.0.1", 4053) ])
    Assert.False(nodes.IsLocal)

[<Fact>]
let ``The fixed-point kernel takes F# arrays`` () =
    // 2 targets x 3 sources, row-major; the sums of one step's payloads, and the synaptic events they make.
    let block = MantissaBlock.FromRowMajor(2, 3, System.ReadOnlySpan<int>([| 1; 0; -2; 3; 4; 0 |]))
    let sums = Array.zeroCreate<int64> 2
    let events = block.Accumulate(System.ReadOnlySpan<int64>([| 2L; 0L; 1L |]), System.Span<int64>(sums))
    Assert.Equal<int64[]>([| 0L; 6L |], sums)
    Assert.Equal(3L, events)
    Assert.Equal<int[]>([| 1; 0; -2; 3; 4; 0 |], block.ToRowMajor())
