/** A port implemented over the network: the port's methods plus `close()` for its connections. */
export type PortClient<Port> = Port & {
  /** Closes the channel or connection pool to the neighbour. */
  close(): Promise<void>;
};
