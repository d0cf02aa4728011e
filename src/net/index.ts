// The network stage: link layers, IPv4/IPv6, tunnels and fragment reassembly.
export { NetworkDecoder, type DatagramSink, type NetworkDecoderOptions, type NetworkStats } from './decoder.js';
