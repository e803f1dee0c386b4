/** A response kept so a repeated request can be answered with it instead of doing the work again. */
export interface StoredResponse<Body extends object = object> {
  status: number;
  body: Body;
}
