"""What a crawl keeps: published output batches, the per-site state, and the run lock."""
