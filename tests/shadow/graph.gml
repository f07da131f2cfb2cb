graph [
  directed 1
  node [
    id 0
    label "europe-fullnode"
    host_bandwidth_up "50 Mbit"
    host_bandwidth_down "50 Mbit"
  ]
  node [
    id 1
    label "na_east-fullnode"
    host_bandwidth_up "50 Mbit"
    host_bandwidth_down "50 Mbit"
  ]
  node [
    id 2
    label "na_east-supernode"
    host_bandwidth_up "1024 Mbit"
    host_bandwidth_down "1024 Mbit"
  ]
  edge [
    source 0
    target 0
    label "europe-fullnode to europe-fullnode"
    latency "2 ms"
    packet_loss 0.0
  ]
  edge [
    source 0
    target 1
    label "europe-fullnode to na_east-fullnode"
    latency "35 ms"
    packet_loss 0.0
  ]
  edge [
    source 0
    target 2
    label "europe-fullnode to na_east-supernode"
    latency "35 ms"
    packet_loss 0.0
  ]
  edge [
    source 1
    target 0
    label "na_east-fullnode to europe-fullnode"
    latency "35 ms"
    packet_loss 0.0
  ]
  edge [
    source 1
    target 1
    label "na_east-fullnode to na_east-fullnode"
    latency "2 ms"
    packet_loss 0.0
  ]
  edge [
    source 1
    target 2
    label "na_east-fullnode to na_east-supernode"
    latency "2 ms"
    packet_loss 0.0
  ]
  edge [
    source 2
    target 0
    label "na_east-supernode to europe-fullnode"
    latency "35 ms"
    packet_loss 0.0
  ]
  edge [
    source 2
    target 1
    label "na_east-supernode to na_east-fullnode"
    latency "2 ms"
    packet_loss 0.0
  ]
  edge [
    source 2
    target 2
    label "na_east-supernode to na_east-supernode"
    latency "2 ms"
    packet_loss 0.0
  ]
]
