"""Developer tools: throwaway database servers for tests and benchmarks."""
