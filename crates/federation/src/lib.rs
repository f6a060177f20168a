//! Hearth's ActivityPub face: actors (Group, Person, the instance Application), objects, inbox,
//! WebFinger, NodeInfo and the outbox delivery worker. The federation issues fill it.
