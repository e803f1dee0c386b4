import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, validateSync } from 'class-validator';
import type { ValidatorOptions } from 'class-validator';
import { FieldError, RequestValidationError } from './request-validation.error';

/**
 * Validates every DTO: unknown fields are refused (not stripped), so a typo or a smuggled
 * `__proto__` is a 400, and a body that is not a JSON object never reaches a DTO.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new RequestValidationError(errors.flatMap((error) => fieldErrors(error))),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new RequestValidationError([{ field: '', message: 'the body must be a JSON object' }]);
      }
      if (metadata.metatype && this.toValidate(metadata)) refuseUndeclaredKeys(value, metadata.metatype);
    }
    return super.transform(value, metadata);
  }

  /** Our DTOs have no asynchronous rules, so the check needs no promise per rule and field. */
  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }
}

type Dto = abstract new (...args: never[]) => unknown;

/** Each DTO's declared properties, read once from class-validator's metadata. */
const declaredProperties = new WeakMap<Dto, ReadonlySet<string>>();

function declaredPropertiesOf(dto: Dto): ReadonlySet<string> {
  let declared = declaredProperties.get(dto);
  if (!declared) {
    declared = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(dto, '', true, false)
        .map((validation) => validation.propertyName),
    );
    declaredProperties.set(dto, declared);
  }
  return declared;
}

/**
 * class-transformer silently skips keys that name a method of Object.prototype (`toString`,
 * `constructor`, ...), so the whitelist never sees them; they are checked against the DTO here.
 */
function refuseUndeclaredKeys(body: object, dto: Dto): void {
  const declared = declaredPropertiesOf(dto);
  const undeclared = Object.keys(body).filter((key) => !declared.has(key));
  if (undeclared.length > 0) {
    throw new RequestValidationError(
      undeclared.map((key) => ({ field: key, message: `property ${key} should not exist` })),
    );
  }
}

function fieldErrors(error: ValidationError, parent = ''): FieldError[] {
  const field = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
  return [...own, ...(error.children ?? []).flatMap((child) => fieldErrors(child, field))];
}
