"""Getting events into the landing zone: the sample generator, Kafka publish and Kafka land."""
