/** One message for people (text) and machines (document) at once. */
export interface Notification {
  /** At most 100 characters; longer subjects are cut. */
  readonly subject: string;
  readonly text: string;
  readonly document: unknown;
  /**
   * Filterable attributes for subscribers (SNS MessageAttributes): a string, or a list of strings
   * (sent as String.Array, which subscription filter policies match element by element).
   */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

export interface NotificationPublisher {
  publish(notification: Notification): Promise<void>;
}
