package ledger.core;

/**
 * Marker for every message that crosses a node boundary or goes to the journal: commands,
 * replies, events and state. Bound to Akka's Jackson CBOR serializer in application.conf;
 * Java serialization is switched off, so anything without this marker fails loudly.
 */
public interface CborSerializable {}
