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

[<Fact>]
let ``A resident mesh streams from F# with tasks, records and closed choices`` () =
    task {
        let net =
            HybridSpike.Core.Network.NetworkDescription(
                System.Collections.Immutable.ImmutableArray.Create(
                    HybridSpike.Core.Network.Population("out", 2, Activation.Linear, System.Nullable(), System.Collections.Immutable.ImmutableArray.Create(0.5, -0.25), InitialStateMode.Zeros, 0UL)),
                System.Collections.Immutable.ImmutableArray.Create(
                    HybridSpike.Core.Network.Connection("input", "out", HybridSpike.Core.Network.DenseWeights(Matrix.Create(2, 1, (fun i _ -> if i = 0 then 1.0 else 0.5))), HybridSpike.Core.Network.Delay.SameStep)),
                HybridSpike.Core.Network.InputMapping(1, "f#"),
                HybridSpike.Core.Network.OutputMapping("out", HybridSpike.Core.Network.OutputMapping.LastStep))
        let mesh = HybridSpike.Mapping.Compile.Compiler.Compile(net, HybridSpike.Mapping.Profiles.Profiles.Get "test", HybridSpike.Mapping.Compile.SequentialPlacement())
        use system = Akka.Actor.ActorSystem.Create "fsharp"
        let! deployment = HybridSpike.Actors.Runtime.Deployment.MeshDeployment.StartAsync(system, mesh, HybridSpike.Actors.Runtime.Deployment.DeploymentOptions.Local 2, CancellationToken.None)
        let options = HybridSpike.Actors.Runtime.Session.StreamOptions.Default.WithWhenNoSlot(HybridSpike.Actors.Runtime.Session.WhenNoSlot.Reject)
        let! stream = deployment.OpenAsync(options.WithReads(HybridSpike.Actors.Runtime.Session.OutputReads.EveryStep), CancellationToken.None)
        do! stream.PushAsync(System.ReadOnlyMemory<float>([| 0.25; 0.5 |]), CancellationToken.None)
        stream.Complete()
        let outputs = System.Collections.Generic.List<HybridSpike.Actors.Runtime.Session.StreamOutput>()
        let mutable more = true
        while more do
            let! next = stream.Outputs.WaitToReadAsync(CancellationToken.None)
            if next then
                let mutable item = Unchecked.defaultof<_>
                while stream.Outputs.TryRead(&item) do outputs.Add item
            else more <- false
        Assert.Equal<int64[]>([| 0L; 1L |], [| for o in outputs -> o.Step |])
        Assert.Equal(0, outputs[0].Argmax)
        do! deployment.DisposeAsync()
    }

[<Fact>]
let ``A trainer job is a record built from F# and its client is Task-based`` () = task {
    use doc = System.Text.Json.JsonDocument.Parse """{ "name": "fsharp" }"""
    let job = HybridSpike.Core.Serving.JobSubmission(doc.RootElement.Clone(), Epochs = System.Nullable 1, Deploy = System.Nullable false)
    Assert.Equal(System.Nullable 1, job.Epochs)
    Assert.True(HybridSpike.Core.Serving.JobStates.IsFinal HybridSpike.Core.Serving.JobState.Succeeded)
    // Nothing listens on port 1: the call fails as a Task, with the connection's own error.
    use client = new HybridSpike.Core.Serving.TrainerClient(System.Uri "http://127.0.0.1:1")
    let submit () = client.SubmitAsync(job, CancellationToken.None) :> System.Threading.Tasks.Task
    let! _ = Assert.ThrowsAsync<System.Net.Http.HttpRequestException>(submit)
    ()
}
