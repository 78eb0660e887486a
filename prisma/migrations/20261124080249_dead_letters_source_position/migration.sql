-- CreateIndex
CREATE INDEX "dead_letters_source_topic_source_partition_source_offset_idx" ON "dead_letters"("source_topic", "source_partition", "source_offset");
