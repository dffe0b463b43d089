"""The dashboard panels the tests expect data in, each found by text only its queries hold;
shared by the native stack's test and the one under the Prometheus Operator's labels."""

# The panels the issue names, each found by the metric its query reads.
CORE_PANELS = {
    "requests per second": "rate(http_requests_total",
    "error rate": 'status=~"5.."}[1m])) / sum(rate(http_requests_total',
    "p95 latency": "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds",
    "inference time": "model_inference_duration_seconds_bucket",
    "confidence": "model_confidence_sum",
    "CPU": "node_cpu_seconds_total",
    "memory": "node_memory_MemAvailable_bytes",
    "disk space": "node_filesystem_avail_bytes",
    "disk IO": "node_disk_read_bytes_total",
    "network": "node_network_receive_bytes_total",
}


# The other panels the specification names, each found by text only its queries hold.
# Every query that holds it must have data: a panel of several queries shows each.
SPECIFIED_PANELS = {
    # Overview: the hosts at a glance
    "overview CPU gauge": 'max(sum by (instance) (rate(node_cpu_seconds_total{job=~"node|',
    "overview memory gauge": 'max(1 - node_memory_MemAvailable_bytes{job=~"node|node-exporter"}',
    "overview disk gauge": 'max(1 - node_filesystem_avail_bytes{job=~"node|node-exporter"',
    # API
    "mean response time": "rate(http_request_duration_seconds_sum",
    "response time heatmap": "increase(http_request_duration_seconds_bucket",
    "5xx by route": 'sum by (handler) (rate(http_requests_total{job="sentimon", instance=~".*", '
    'handler=~".*", status=~"5.."}',
    "4xx by route": 'sum by (handler) (rate(http_requests_total{job="sentimon", instance=~".*", '
    'handler=~".*", status=~"4.."}',
    "request body quantiles": "rate(http_request_size_bytes_bucket",
    "request body heatmap": "increase(http_request_size_bytes_bucket",
    "4xx versus 5xx": 'sum(rate(http_requests_total{job="sentimon", instance=~".*", handler=~".*", '
    'status=~"4.."}',
    # Model
    "mean inference time": "rate(model_inference_duration_seconds_sum",
    # Server
    "CPU per core": "sum by (instance, cpu)",
    "CPU time by mode": "sum by (instance, mode)",
    "memory buffers and cache": "node_memory_SReclaimable_bytes",
    "swap used (0 without swap)": "node_memory_SwapFree_bytes",
    "inodes": "node_filesystem_files_free",
    "disk reads / s": "node_disk_reads_completed_total",
    "disk writes / s": "node_disk_writes_completed_total",
    "network packets in": "node_network_receive_packets_total",
    "network packets out": "node_network_transmit_packets_total",
    "network errors": "_errs_total",
    "network drops": "_drop_total",
}
