# Four nodes. a and c share no edge: a-b-c (10 + 20 = 30 ms) is shorter
# than a-d-c (50 + 50 = 100 ms), so a to c takes 30 ms, jitter 1 + 2 ms,
# loss 1 - 0.9 * 0.8 = 0.28. Node d holds no hosts (weight 0 in graph.yaml).
Creator "swarmlab tests"
graph [
  directed 0
  node [ id 0 label "a" host_bandwidth_up "100 Mbit" host_bandwidth_down "1 Gbit" ]
  node [ id 1 label "b" host_bandwidth_up "50 Mbit" host_bandwidth_down "50 Mbit" ]
  node [ id 2 label "c" host_bandwidth_up "10 Mbit" host_bandwidth_down "20 Mbit" ]
  node [ id 7 label "node at 1.2.3.4" host_bandwidth_up "1 Gbit" host_bandwidth_down "1 Gbit" ]
  edge [ source 0 target 0 latency "1 ms" ]
  edge [ source 1 target 1 latency "2 ms" ]
  edge [ source 2 target 2 latency "3 ms" jitter "0 ms" packet_loss 0.0 ]
  edge [ source 0 target 1 latency "10 ms" jitter "1 ms" packet_loss 0.1 ]
  edge [ source 1 target 2 latency "20 ms" jitter "2 ms" packet_loss 0.2 ]
  edge [ source 0 target 7 latency "50 ms" ]
  edge [ source 7 target 2 latency "50 ms" ]
]
