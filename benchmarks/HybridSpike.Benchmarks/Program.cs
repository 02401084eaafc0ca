using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: the TorchSharp native fix and the memory settings of TorchRuntime apply as in
// training, and libtorch is not reloaded per benchmark. Usage:
//   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- --filter '*TrainingStep*'
//   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- --filter '*FixedPoint*'
// and the mesh against the monolithic loop (whole runs, not BenchmarkDotNet):
//   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- mesh [--quick] [--out FILE]
// routing tables on a generated 10^5-unit network over 144 chips (docs/benchmarks/routing.md):
//   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- routing [--out FILE]
if (args.Length > 0 && args[0] == "routing") return HybridSpike.Benchmarks.Routing.RoutingBenchmark.Run(args[1..]);
if (args.Length > 0 && args[0] == "mesh") return HybridSpike.Benchmarks.Mesh.MeshThroughput.Run(args[1..]);
// the streaming service over loopback against the mesh it serves from:
//   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- serve --model M [--sequences N] [--out FILE]
if (args.Length > 0 && args[0] == "serve") return await HybridSpike.Benchmarks.Serve.ServeThroughput.RunAsync(args[1..]);
// the mesh over 3 cluster nodes on loopback against one process: throughput, wire, recovery points, recovery (docs/benchmarks/cluster.md):
//   dotnet run -c Release --project benchmarks/HybridSpike.Benchmarks -- cluster [--quick] [--json] [--out FILE]
if (args.Length > 0 && args[0] == "cluster") return await HybridSpike.Benchmarks.Cluster.ClusterBenchmark.RunAsync(args[1..]);
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(8).WithInvocationCount(1).WithUnrollFactor(1))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(HybridSpike.Benchmarks.Mesh.MeshThroughput).Assembly).Run(args, config);
return 0;
